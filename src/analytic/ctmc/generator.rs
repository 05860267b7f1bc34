//! The chain itself: a validated sparse generator.

use nalgebra::DMatrix;
use nalgebra_sparse::{CooMatrix, CsrMatrix};

use super::error::{CtmcError, StateRef};

/// Compressed sparse rows: `offsets[i]..offsets[i + 1]` indexes row `i`'s
/// `(idx, val)` entries, sorted by column, without duplicates.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Csr {
    pub(crate) offsets: Vec<usize>,
    pub(crate) idx: Vec<usize>,
    pub(crate) val: Vec<f64>,
}

impl Csr {
    /// Builds from `(row, col, value)` entries (all in range), summing duplicates.
    fn from_entries(n: usize, entries: &[(usize, usize, f64)]) -> Self {
        let mut counts = vec![0usize; n + 1];
        for &(i, _, _) in entries {
            counts[i + 1] += 1;
        }
        for i in 0..n {
            counts[i + 1] += counts[i];
        }
        let mut next = counts.clone();
        let mut idx = vec![0usize; entries.len()];
        let mut val = vec![0.0; entries.len()];
        for &(i, j, v) in entries {
            idx[next[i]] = j;
            val[next[i]] = v;
            next[i] += 1;
        }
        // Sort each row by column and merge duplicates, compacting in place.
        let mut offsets = vec![0usize; n + 1];
        let mut w = 0;
        let mut row: Vec<(usize, f64)> = Vec::new();
        for i in 0..n {
            row.clear();
            row.extend((counts[i]..counts[i + 1]).map(|p| (idx[p], val[p])));
            row.sort_unstable_by_key(|e| e.0);
            let mut last = usize::MAX;
            for &(j, v) in &row {
                if j == last {
                    val[w - 1] += v;
                } else {
                    idx[w] = j;
                    val[w] = v;
                    w += 1;
                    last = j;
                }
            }
            offsets[i + 1] = w;
        }
        idx.truncate(w);
        val.truncate(w);
        Self { offsets, idx, val }
    }

    /// The transpose (rows become columns), rows sorted by column.
    fn transpose(&self, n: usize) -> Self {
        let mut offsets = vec![0usize; n + 1];
        for &j in &self.idx {
            offsets[j + 1] += 1;
        }
        for j in 0..n {
            offsets[j + 1] += offsets[j];
        }
        let mut next = offsets.clone();
        let mut idx = vec![0usize; self.idx.len()];
        let mut val = vec![0.0; self.idx.len()];
        for i in 0..n {
            for p in self.offsets[i]..self.offsets[i + 1] {
                let j = self.idx[p];
                idx[next[j]] = i;
                val[next[j]] = self.val[p];
                next[j] += 1;
            }
        }
        Self { offsets, idx, val }
    }

    /// Row `i` as `(column, value)` pairs.
    pub(crate) fn row(&self, i: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let r = self.offsets[i]..self.offsets[i + 1];
        self.idx[r.clone()]
            .iter()
            .copied()
            .zip(self.val[r].iter().copied())
    }
}

/// A finite, irreducible continuous-time Markov chain, stored as its sparse generator Q.
///
/// Q has off-diagonal entries q_ij ≥ 0 (the rate of jumping from state i to state j)
/// and diagonal q_ii = −q_i, where q_i = Σ_{j≠i} q_ij is the exit rate of state i, so
/// every row sums to 0. Construction checks all of that and that the chain is
/// irreducible (every state reaches every other), so that it has a unique, positive
/// steady state; a reducible chain is an error naming its closed classes and transient
/// states. Rates are per second.
///
/// Reference: Stewart (1994), *Introduction to the Numerical Solution of Markov Chains*,
/// Princeton University Press, §1.4 and ch. 2.
///
/// # Errors
/// [`CtmcError::Empty`], [`CtmcError::StateOutOfRange`], [`CtmcError::DiagonalTriplet`],
/// [`CtmcError::InvalidRate`] (negative or non-finite rate), [`CtmcError::RowSum`] (full
/// generators only), [`CtmcError::LabelCount`], [`CtmcError::Reducible`].
///
/// # Example
/// ```
/// use kendall::analytic::ctmc::Ctmc;
/// // Two states: up (0) fails at rate 0.1, down (1) is repaired at rate 2.
/// let chain = Ctmc::from_triplets(2, [(0, 1, 0.1), (1, 0, 2.0)]).unwrap();
/// assert_eq!(chain.n_states(), 2);
/// assert_eq!(chain.exit_rate(1), 2.0);
/// let ss = chain.steady_state().unwrap();
/// assert!((ss.pi[0] - 2.0 / 2.1).abs() < 1e-14);
/// // State 1 cannot be left: reducible.
/// assert!(Ctmc::from_triplets(2, [(0, 1, 0.1)]).is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Ctmc {
    n: usize,
    /// Off-diagonal rates by source state.
    pub(crate) out: Csr,
    /// Off-diagonal rates by target state (the transpose of `out`).
    pub(crate) inc: Csr,
    /// Exit rates q_i = −q_ii.
    pub(crate) exit: Vec<f64>,
    labels: Option<Vec<String>>,
    /// Checked irreducible at construction (every constructor but
    /// [`Ctmc::from_triplets_reducible`]); the steady-state solvers require it.
    irreducible: bool,
}

impl Ctmc {
    /// A chain on `n_states` states from its off-diagonal rates `(from, to, rate)`.
    ///
    /// The diagonal is derived (q_ii = −Σ_{j≠i} q_ij). Zero rates are dropped; repeated
    /// `(from, to)` pairs are summed (two ways of making the same jump).
    ///
    /// # Errors
    /// See [`Ctmc`].
    ///
    /// # Example
    /// ```
    /// use kendall::analytic::ctmc::Ctmc;
    /// let ring = Ctmc::from_triplets(3, [(0, 1, 1.0), (1, 2, 1.0), (2, 0, 1.0)]).unwrap();
    /// assert_eq!(ring.n_transitions(), 3);
    /// ```
    pub fn from_triplets<I>(n_states: usize, triplets: I) -> Result<Self, CtmcError>
    where
        I: IntoIterator<Item = (usize, usize, f64)>,
    {
        Self::build(n_states, triplets, None)
    }

    /// Like [`Ctmc::from_triplets`], with one label per state; errors then name states by
    /// index and label.
    ///
    /// # Errors
    /// See [`Ctmc`]; [`CtmcError::LabelCount`] is impossible here since the number of
    /// states is the number of labels.
    ///
    /// # Example
    /// ```
    /// use kendall::analytic::ctmc::Ctmc;
    /// let labels = vec!["idle".to_string(), "busy".to_string(), "broken".to_string()];
    /// let err = Ctmc::from_triplets_labelled(labels, [(0, 1, 1.0), (1, 0, 2.0), (1, 2, 0.1)])
    ///     .unwrap_err();
    /// assert!(err.to_string().contains("\"broken\""));
    /// ```
    pub fn from_triplets_labelled<I>(labels: Vec<String>, triplets: I) -> Result<Self, CtmcError>
    where
        I: IntoIterator<Item = (usize, usize, f64)>,
    {
        let n = labels.len();
        Self::build(n, triplets, Some(labels))
    }

    /// A chain from a full sparse generator (diagonal included), checked: off-diagonals
    /// finite and ≥ 0, each row summing to 0 within 1e-10 of the row's magnitude
    /// (|q_ii| + Σ_{j≠i} q_ij).
    ///
    /// # Errors
    /// See [`Ctmc`]; also [`CtmcError::NotSquare`].
    ///
    /// # Example
    /// ```
    /// use kendall::analytic::ctmc::Ctmc;
    /// use nalgebra_sparse::{CooMatrix, CsrMatrix};
    /// let mut q = CooMatrix::new(2, 2);
    /// q.push(0, 0, -3.0);
    /// q.push(0, 1, 3.0);
    /// q.push(1, 0, 1.0);
    /// q.push(1, 1, -1.0);
    /// let chain = Ctmc::from_generator(&CsrMatrix::from(&q)).unwrap();
    /// assert_eq!(chain.rate(0, 1), 3.0);
    /// q.push(1, 1, -0.5); // row 1 now sums to -0.5
    /// assert!(Ctmc::from_generator(&CsrMatrix::from(&q)).is_err());
    /// ```
    pub fn from_generator(q: &CsrMatrix<f64>) -> Result<Self, CtmcError> {
        if q.nrows() != q.ncols() {
            return Err(CtmcError::NotSquare {
                rows: q.nrows(),
                cols: q.ncols(),
            });
        }
        let n = q.nrows();
        let mut diag = vec![0.0; n];
        let mut off = Vec::with_capacity(q.nnz());
        for (i, j, &v) in q.triplet_iter() {
            if i == j {
                diag[i] += v;
            } else {
                off.push((i, j, v));
            }
        }
        let chain_rows = Self::validated_entries(n, off, &None)?;
        Self::check_row_sums(n, &chain_rows, &diag)?;
        Self::assemble(n, chain_rows, None)
    }

    /// A chain from a full dense generator (diagonal included), checked as in
    /// [`Ctmc::from_generator`].
    ///
    /// # Errors
    /// See [`Ctmc::from_generator`].
    ///
    /// # Example
    /// ```
    /// use kendall::analytic::ctmc::Ctmc;
    /// use nalgebra::dmatrix;
    /// let q = dmatrix![-1.0, 1.0; 4.0, -4.0];
    /// let pi = Ctmc::from_dense_generator(&q).unwrap().steady_state().unwrap().pi;
    /// assert!((pi[0] - 0.8).abs() < 1e-14);
    /// assert!(Ctmc::from_dense_generator(&dmatrix![-1.0, 1.0; -4.0, 4.0]).is_err());
    /// ```
    pub fn from_dense_generator(q: &DMatrix<f64>) -> Result<Self, CtmcError> {
        Self::from_generator(&CsrMatrix::from(q))
    }

    fn build<I>(n: usize, triplets: I, labels: Option<Vec<String>>) -> Result<Self, CtmcError>
    where
        I: IntoIterator<Item = (usize, usize, f64)>,
    {
        let entries: Vec<_> = triplets.into_iter().collect();
        let entries = Self::checked_entries(n, entries, &labels)?;
        Self::assemble(n, entries, labels)
    }

    /// Ranges, the diagonal and the rates of off-diagonal triplets checked; zeros dropped.
    fn checked_entries(
        n: usize,
        entries: Vec<(usize, usize, f64)>,
        labels: &Option<Vec<String>>,
    ) -> Result<Vec<(usize, usize, f64)>, CtmcError> {
        if n == 0 {
            return Err(CtmcError::Empty);
        }
        for &(i, j, _) in &entries {
            if i >= n || j >= n {
                return Err(CtmcError::StateOutOfRange {
                    from: i,
                    to: j,
                    n_states: n,
                });
            }
            if i == j {
                return Err(CtmcError::DiagonalTriplet { state: i });
            }
        }
        Self::validated_entries(n, entries, labels)
    }

    /// Checks ranges and rates; drops zeros.
    fn validated_entries(
        n: usize,
        entries: Vec<(usize, usize, f64)>,
        labels: &Option<Vec<String>>,
    ) -> Result<Vec<(usize, usize, f64)>, CtmcError> {
        if n == 0 {
            return Err(CtmcError::Empty);
        }
        let state = |i: usize| StateRef {
            index: i,
            label: labels.as_ref().map(|l| l[i].clone()),
        };
        // Filtered in place: a second triplet vector would double the peak memory of
        // building a large chain.
        let mut entries = entries;
        for &(i, j, r) in &entries {
            if i >= n || j >= n {
                return Err(CtmcError::StateOutOfRange {
                    from: i,
                    to: j,
                    n_states: n,
                });
            }
            if !(r.is_finite() && r >= 0.0) {
                return Err(CtmcError::InvalidRate {
                    from: state(i),
                    to: state(j),
                    rate: r,
                    rule: "a finite number >= 0",
                });
            }
        }
        entries.retain(|&(_, _, r)| r > 0.0);
        Ok(entries)
    }

    fn check_row_sums(
        n: usize,
        entries: &[(usize, usize, f64)],
        diag: &[f64],
    ) -> Result<(), CtmcError> {
        const REL: f64 = 1e-10;
        let mut off = vec![0.0; n];
        for &(i, _, r) in entries {
            off[i] += r;
        }
        for i in 0..n {
            let sum = diag[i] + off[i];
            let scale = diag[i].abs() + off[i];
            if !sum.is_finite() || sum.abs() > REL * scale {
                return Err(CtmcError::RowSum {
                    state: StateRef {
                        index: i,
                        label: None,
                    },
                    sum,
                    tolerance: REL * scale,
                });
            }
        }
        Ok(())
    }

    fn assemble(
        n: usize,
        entries: Vec<(usize, usize, f64)>,
        labels: Option<Vec<String>>,
    ) -> Result<Self, CtmcError> {
        Self::assemble_as(n, entries, labels, true)
    }

    /// Builds the chain; checks irreducibility when `irreducible` is asked for.
    fn assemble_as(
        n: usize,
        entries: Vec<(usize, usize, f64)>,
        labels: Option<Vec<String>>,
        irreducible: bool,
    ) -> Result<Self, CtmcError> {
        if let Some(l) = &labels
            && l.len() != n
        {
            return Err(CtmcError::LabelCount {
                labels: l.len(),
                n_states: n,
            });
        }
        let out = Csr::from_entries(n, &entries);
        drop(entries);
        let inc = out.transpose(n);
        let exit = (0..n).map(|i| out.row(i).map(|(_, r)| r).sum()).collect();
        let chain = Self {
            n,
            out,
            inc,
            exit,
            labels,
            irreducible,
        };
        if irreducible {
            chain.check_irreducible()?;
        }
        Ok(chain)
    }

    /// As [`Ctmc::from_triplets_labelled`] without the irreducibility check: a chain
    /// with absorbing states or several closed classes, for π(t)
    /// ([`Ctmc::transient`]). Its steady state is asked for in vain: the steady-state
    /// solvers return the reducibility error naming the classes.
    ///
    /// # Errors
    /// As [`Ctmc::from_triplets_labelled`], but never [`CtmcError::Reducible`].
    ///
    /// # Example
    /// ```
    /// use kendall::analytic::ctmc::Ctmc;
    /// // From "start": absorbed in "a" at rate 1, in "b" at rate 3.
    /// let labels = vec!["start".into(), "a".into(), "b".into()];
    /// let c = Ctmc::from_triplets_reducible(labels, [(0, 1, 1.0), (0, 2, 3.0)]).unwrap();
    /// let s = c.transient(&[1.0, 0.0, 0.0], 50.0).unwrap();
    /// assert!((s.pi[1] - 0.25).abs() < 1e-12);
    /// assert!(c.steady_state().is_err());
    /// ```
    pub fn from_triplets_reducible<I>(labels: Vec<String>, triplets: I) -> Result<Self, CtmcError>
    where
        I: IntoIterator<Item = (usize, usize, f64)>,
    {
        let n = labels.len();
        let labels = Some(labels);
        let entries: Vec<_> = triplets.into_iter().collect();
        let entries = Self::checked_entries(n, entries, &labels)?;
        Self::assemble_as(n, entries, labels, false)
    }

    /// The reducibility error when the chain was built without the check and is
    /// reducible; `Ok` otherwise (the steady-state solvers call it first).
    pub(crate) fn require_irreducible(&self) -> Result<(), CtmcError> {
        if self.irreducible {
            Ok(())
        } else {
            self.check_irreducible()
        }
    }

    /// Returns this chain with one label per state (used in error messages and by
    /// [`Ctmc::label`]).
    ///
    /// # Errors
    /// [`CtmcError::LabelCount`] unless there is exactly one label per state.
    ///
    /// # Example
    /// ```
    /// use kendall::analytic::ctmc::Ctmc;
    /// let c = Ctmc::from_triplets(2, [(0, 1, 1.0), (1, 0, 1.0)]).unwrap();
    /// let c = c.with_labels(vec!["up".into(), "down".into()]).unwrap();
    /// assert_eq!(c.label(1), Some("down"));
    /// ```
    pub fn with_labels(mut self, labels: Vec<String>) -> Result<Self, CtmcError> {
        if labels.len() != self.n {
            return Err(CtmcError::LabelCount {
                labels: labels.len(),
                n_states: self.n,
            });
        }
        self.labels = Some(labels);
        Ok(self)
    }

    /// Number of states.
    pub fn n_states(&self) -> usize {
        self.n
    }

    /// Number of nonzero off-diagonal rates.
    pub fn n_transitions(&self) -> usize {
        self.out.idx.len()
    }

    /// The label of state `i`, if the chain has labels and `i` is a state.
    pub fn label(&self, i: usize) -> Option<&str> {
        self.labels.as_ref()?.get(i).map(String::as_str)
    }

    /// All labels, if the chain has them.
    pub fn labels(&self) -> Option<&[String]> {
        self.labels.as_deref()
    }

    /// The exit rate q_i = Σ_{j≠i} q_ij = −q_ii of state `i` (0 for an index out of range).
    pub fn exit_rate(&self, i: usize) -> f64 {
        self.exit.get(i).copied().unwrap_or(0.0)
    }

    /// The largest exit rate, max_i q_i: the uniformisation rate.
    pub fn max_exit_rate(&self) -> f64 {
        self.exit.iter().copied().fold(0.0, f64::max)
    }

    /// The rate q_ij of jumping from `i` to `j` (`i ≠ j`), or q_ii = −q_i; 0 out of range.
    pub fn rate(&self, i: usize, j: usize) -> f64 {
        if i >= self.n || j >= self.n {
            return 0.0;
        }
        if i == j {
            return -self.exit[i];
        }
        let r = self.out.offsets[i]..self.out.offsets[i + 1];
        match self.out.idx[r.clone()].binary_search(&j) {
            Ok(p) => self.out.val[r.start + p],
            Err(_) => 0.0,
        }
    }

    /// Iterates over the nonzero off-diagonal rates `(from, to, rate)`, by source state.
    pub fn transitions(&self) -> impl Iterator<Item = (usize, usize, f64)> + '_ {
        (0..self.n).flat_map(move |i| self.out.row(i).map(move |(j, r)| (i, j, r)))
    }

    /// The full generator Q (diagonal included) as a sparse matrix.
    ///
    /// # Example
    /// ```
    /// use kendall::analytic::ctmc::Ctmc;
    /// let c = Ctmc::from_triplets(2, [(0, 1, 3.0), (1, 0, 1.0)]).unwrap();
    /// let q = c.generator();
    /// assert_eq!(q.get_entry(0, 0).unwrap().into_value(), -3.0);
    /// ```
    pub fn generator(&self) -> CsrMatrix<f64> {
        let mut coo = CooMatrix::new(self.n, self.n);
        for i in 0..self.n {
            coo.push(i, i, -self.exit[i]);
        }
        for (i, j, r) in self.transitions() {
            coo.push(i, j, r);
        }
        CsrMatrix::from(&coo)
    }

    /// The state reference used in errors.
    pub(crate) fn state_ref(&self, i: usize) -> StateRef {
        StateRef {
            index: i,
            label: self.label(i).map(str::to_owned),
        }
    }

    /// (vQ)_j = Σ_{i≠j} v_i q_ij − v_j q_j.
    #[inline]
    pub(crate) fn left_mul_entry(&self, v: &[f64], j: usize) -> f64 {
        let mut s = -v[j] * self.exit[j];
        for (i, r) in self.inc.row(j) {
            s += v[i] * r;
        }
        s
    }

    /// The steady-state residual ‖πQ‖₁ = Σ_j |Σ_i π_i q_ij| of a vector `pi` (in
    /// probability per second). Zero for the exact steady state.
    ///
    /// Returns `None` when `pi` does not have one entry per state.
    ///
    /// # Example
    /// ```
    /// use kendall::analytic::ctmc::Ctmc;
    /// let c = Ctmc::from_triplets(2, [(0, 1, 1.0), (1, 0, 3.0)]).unwrap();
    /// assert_eq!(c.residual(&[0.75, 0.25]), Some(0.0));
    /// assert_eq!(c.residual(&[1.0, 0.0]), Some(2.0));
    /// ```
    pub fn residual(&self, pi: &[f64]) -> Option<f64> {
        (pi.len() == self.n).then(|| (0..self.n).map(|j| self.left_mul_entry(pi, j).abs()).sum())
    }

    /// Checks irreducibility: two breadth-first searches from state 0 (forward and
    /// backward) in O(states + transitions); only when one fails are the strongly
    /// connected components computed (Kosaraju) to name the closed classes.
    fn check_irreducible(&self) -> Result<(), CtmcError> {
        if self.n == 1 {
            return Ok(());
        }
        if self.reaches_all(&self.out) && self.reaches_all(&self.inc) {
            return Ok(());
        }
        let comp = self.components();
        let n_comp = comp.iter().copied().max().map_or(0, |m| m + 1);
        let mut closed = vec![true; n_comp];
        for i in 0..self.n {
            for (j, _) in self.out.row(i) {
                if comp[j] != comp[i] {
                    closed[comp[i]] = false;
                }
            }
        }
        let mut classes: Vec<Vec<StateRef>> = vec![Vec::new(); n_comp];
        let mut transient = Vec::new();
        for i in 0..self.n {
            if closed[comp[i]] {
                classes[comp[i]].push(self.state_ref(i));
            } else {
                transient.push(self.state_ref(i));
            }
        }
        let mut closed_classes: Vec<Vec<StateRef>> =
            classes.into_iter().filter(|c| !c.is_empty()).collect();
        closed_classes.sort_by_key(|c| c[0].index);
        Err(CtmcError::Reducible {
            closed_classes,
            transient,
        })
    }

    fn reaches_all(&self, g: &Csr) -> bool {
        let mut seen = vec![false; self.n];
        let mut stack = vec![0usize];
        seen[0] = true;
        let mut count = 1;
        while let Some(i) = stack.pop() {
            for (j, _) in g.row(i) {
                if !seen[j] {
                    seen[j] = true;
                    count += 1;
                    stack.push(j);
                }
            }
        }
        count == self.n
    }

    /// Strongly connected components (Kosaraju, iterative): component index per state.
    fn components(&self) -> Vec<usize> {
        let n = self.n;
        let mut order = Vec::with_capacity(n);
        let mut seen = vec![false; n];
        let mut stack: Vec<(usize, usize)> = Vec::new();
        for s in 0..n {
            if seen[s] {
                continue;
            }
            seen[s] = true;
            stack.push((s, self.out.offsets[s]));
            while let Some(&mut (v, ref mut p)) = stack.last_mut() {
                if *p < self.out.offsets[v + 1] {
                    let w = self.out.idx[*p];
                    *p += 1;
                    if !seen[w] {
                        seen[w] = true;
                        stack.push((w, self.out.offsets[w]));
                    }
                } else {
                    order.push(v);
                    stack.pop();
                }
            }
        }
        let mut comp = vec![usize::MAX; n];
        let mut c = 0;
        let mut st = Vec::new();
        for &s in order.iter().rev() {
            if comp[s] != usize::MAX {
                continue;
            }
            comp[s] = c;
            st.push(s);
            while let Some(v) = st.pop() {
                for (w, _) in self.inc.row(v) {
                    if comp[w] == usize::MAX {
                        comp[w] = c;
                        st.push(w);
                    }
                }
            }
            c += 1;
        }
        comp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn builds_and_derives_diagonal() {
        // Duplicates are summed, zeros dropped.
        let c = Ctmc::from_triplets(
            3,
            [
                (0, 1, 1.0),
                (0, 1, 0.5),
                (1, 2, 2.0),
                (2, 0, 3.0),
                (2, 1, 0.0),
            ],
        )
        .unwrap();
        assert_eq!(c.rate(0, 1), 1.5);
        assert_eq!(c.rate(0, 0), -1.5);
        assert_eq!(c.rate(2, 1), 0.0);
        assert_eq!(c.n_transitions(), 3);
        assert_eq!(c.max_exit_rate(), 3.0);
        let q = c.generator();
        for i in 0..3 {
            let s: f64 = q.row(i).values().iter().sum();
            assert_eq!(s, 0.0);
        }
        // Round trip through the full generator.
        assert_eq!(Ctmc::from_generator(&q).unwrap(), c);
        let dense = nalgebra::DMatrix::from(&q);
        assert_eq!(Ctmc::from_dense_generator(&dense).unwrap(), c);
    }

    #[test]
    fn rejects_invalid_generators() {
        assert_eq!(Ctmc::from_triplets(0, []), Err(CtmcError::Empty));
        for bad in [-1.0, f64::NAN, f64::INFINITY] {
            let err = Ctmc::from_triplets(2, [(0, 1, bad), (1, 0, 1.0)]).unwrap_err();
            assert!(
                matches!(&err, CtmcError::InvalidRate { from, to, .. } if from.index == 0 && to.index == 1),
                "{err}"
            );
        }
        assert!(matches!(
            Ctmc::from_triplets(2, [(0, 2, 1.0)]),
            Err(CtmcError::StateOutOfRange { to: 2, .. })
        ));
        assert!(matches!(
            Ctmc::from_triplets(2, [(1, 1, 1.0)]),
            Err(CtmcError::DiagonalTriplet { state: 1 })
        ));
        // Full generators: rows must sum to 0, off-diagonals must be >= 0.
        let q = nalgebra::dmatrix![-1.0, 1.0; 2.0, -1.0];
        assert!(matches!(
            Ctmc::from_dense_generator(&q),
            Err(CtmcError::RowSum { ref state, .. }) if state.index == 1
        ));
        let q = nalgebra::dmatrix![1.0, -1.0; 2.0, -2.0];
        assert!(matches!(
            Ctmc::from_dense_generator(&q),
            Err(CtmcError::InvalidRate { .. })
        ));
        let q = nalgebra::dmatrix![-1.0, 1.0, 0.0; 1.0, -1.0, 0.0];
        assert!(matches!(
            Ctmc::from_dense_generator(&q),
            Err(CtmcError::NotSquare { rows: 2, cols: 3 })
        ));
        // Rounding-level row sums pass.
        let q = nalgebra::dmatrix![-0.3, 0.1, 0.2; 0.1, -0.1, 0.0; 0.7, 0.0, -0.7];
        assert!(Ctmc::from_dense_generator(&q).is_ok());
        assert!(matches!(
            Ctmc::from_triplets_labelled(labels(&["a"]), [(0, 1, 1.0)]),
            Err(CtmcError::StateOutOfRange { .. })
        ));
        let c = Ctmc::from_triplets(2, [(0, 1, 1.0), (1, 0, 1.0)]).unwrap();
        assert!(matches!(
            c.with_labels(labels(&["a"])),
            Err(CtmcError::LabelCount {
                labels: 1,
                n_states: 2
            })
        ));
    }

    #[test]
    fn reducible_chain_names_closed_classes_and_transient_states() {
        // 0 -> {1 <-> 2} and 0 -> {3 <-> 4}; 5 -> 0. Two closed classes; 0 and 5 transient.
        let names = labels(&["start", "a1", "a2", "b1", "b2", "feeder"]);
        let t = [
            (0, 1, 1.0),
            (0, 3, 1.0),
            (1, 2, 1.0),
            (2, 1, 1.0),
            (3, 4, 1.0),
            (4, 3, 1.0),
            (5, 0, 1.0),
        ];
        let err = Ctmc::from_triplets_labelled(names, t).unwrap_err();
        let CtmcError::Reducible {
            closed_classes,
            transient,
        } = &err
        else {
            panic!("{err:?}")
        };
        let idx = |v: &[StateRef]| v.iter().map(|s| s.index).collect::<Vec<_>>();
        assert_eq!(closed_classes.len(), 2);
        assert_eq!(idx(&closed_classes[0]), vec![1, 2]);
        assert_eq!(idx(&closed_classes[1]), vec![3, 4]);
        assert_eq!(idx(transient), vec![0, 5]);
        let msg = err.to_string();
        assert!(
            msg.contains("{1 (\"a1\"), 2 (\"a2\")}")
                && msg.contains("{0 (\"start\"), 5 (\"feeder\")}"),
            "{msg}"
        );

        // One absorbing state: a single closed class {2}, transient {0, 1}.
        let err = Ctmc::from_triplets(3, [(0, 1, 1.0), (1, 0, 1.0), (1, 2, 1.0)]).unwrap_err();
        assert_eq!(
            err,
            CtmcError::Reducible {
                closed_classes: vec![vec![StateRef {
                    index: 2,
                    label: None
                }]],
                transient: vec![
                    StateRef {
                        index: 0,
                        label: None
                    },
                    StateRef {
                        index: 1,
                        label: None
                    }
                ],
            }
        );
        // Isolated states (no transitions at all) are each a closed class.
        let err = Ctmc::from_triplets(3, [(0, 1, 1.0), (1, 0, 1.0)]).unwrap_err();
        assert!(
            matches!(err, CtmcError::Reducible { ref closed_classes, .. } if closed_classes.len() == 2)
        );
        // Long lists are shortened in the message.
        let n = 100;
        let t = (0..n - 1).map(|i| (i, i + 1, 1.0));
        let msg = Ctmc::from_triplets(n, t).unwrap_err().to_string();
        assert!(
            msg.contains("{99}") && msg.contains("… and 91 more"),
            "{msg}"
        );
    }

    #[test]
    fn residual_checks_length() {
        let c = Ctmc::from_triplets(2, [(0, 1, 1.0), (1, 0, 1.0)]).unwrap();
        assert_eq!(c.residual(&[1.0]), None);
        assert_eq!(c.residual(&[0.5, 0.5]), Some(0.0));
    }
}
