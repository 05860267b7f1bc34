//! The `kendall` command line: `solve` and `simulate` a scenario file.
//!
//! Exit statuses are decided in one place, [`exit_code`], from the error's type (and
//! from [`Outcome`] when the command printed its output but its verdict is not a
//! success); see [`EXIT_CODES`].

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use kendall::model::parse_duration;
use kendall::model::{Model, RunSettings};
use kendall::report::{
    comparison_csv, comparison_methods, comparison_summary, comparison_table, simulation_table,
    simulation_text, sizing_csv, sizing_text, solution_table, solution_text, sweep_csv, sweep_text,
};
use kendall::solve;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

/// The exit statuses, as `--help` prints them (and the README's "Exit codes" section).
const EXIT_CODES: &str = "\
Exit codes:
  0  success (a closed output pipe, as in `kendall ... | head`, is a success too)
  1  runtime failure: I/O (writing the output or a chart), a simulation failed, or a
     search stopped by its --time-limit
  2  invalid input: usage error, unreadable or invalid scenario, bad option value,
     settings that would need more than simulation.memory_limit; `merge`: a partial
     damaged, of another run, or missing or repeated shards
  3  an SLO is not met: `size` found no deployment meeting every SLO (one is beyond
     what any number of consumers can reach, or verification shows it missed);
     the report is still printed when there is one
  4  no figure possible: `solve` refused a figure for some queue (unstable, or no
     analytic method applies; everything else is still printed), the analytic
     side could not be formed at all, or a simulation's backlog grew past the
     in-flight cap (unstable)";

/// Queueing-theory capacity modelling for message queues and event buses.
#[derive(Parser)]
#[command(name = "kendall", version, about, long_about = None, after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum, Default)]
enum Format {
    /// Aligned text.
    #[default]
    Table,
    /// JSON (the documented shape of the library's result type).
    Json,
    /// CSV, one row per node and metric.
    Csv,
}

/// Overrides of the scenario's `[simulation]` settings.
#[derive(clap::Args, Clone)]
struct RunArgs {
    /// Independent replications (default: the scenario's, else 10).
    #[arg(long)]
    replications: Option<u32>,
    /// Master seed (default: the scenario's, else 1).
    #[arg(long)]
    seed: Option<u64>,
    /// Simulated time per replication after warm-up, e.g. 600, "10m", "1h".
    #[arg(long, value_parser = duration_arg)]
    horizon: Option<f64>,
    /// Warm-up time discarded from statistics, e.g. "30s".
    #[arg(long, value_parser = duration_arg)]
    warmup: Option<f64>,
    /// Stop each replication after this many completed messages.
    #[arg(long)]
    completions: Option<u64>,
    /// Confidence level of the intervals, e.g. 0.99.
    #[arg(long)]
    confidence: Option<f64>,
    /// Keep a time series in buckets of this length, e.g. "1m" (the scenario's
    /// `[simulation] time_series`): per bucket, each queue's length, mean and p99 sojourn
    /// and each source's mean and p99 latency, with confidence bands across replications.
    #[arg(long, value_parser = duration_arg)]
    time_series: Option<f64>,
}

fn duration_arg(s: &str) -> std::result::Result<f64, String> {
    parse_duration(s)
}

/// A `--shard K/N`: shard K (1-based) of N.
fn shard_arg(s: &str) -> std::result::Result<(u32, u32), String> {
    let bad = || format!("{s:?}: write the shard as K/N with 1 <= K <= N, e.g. 3/8");
    let (k, n) = s.split_once('/').ok_or_else(bad)?;
    let k: u32 = k.trim().parse().map_err(|_| bad())?;
    let n: u32 = n.trim().parse().map_err(|_| bad())?;
    if k == 0 || k > n || n > kendall::partial::MAX_SHARDS {
        return Err(bad());
    }
    Ok((k, n))
}

/// Runs shard `(k, n)` of `job` and writes its partial to `out`.
fn write_shard(
    job: &kendall::partial::Job,
    (k, n): (u32, u32),
    out: &std::path::Path,
) -> Result<()> {
    let part = kendall::partial::run_shard(job, k, n, None)?;
    std::fs::write(out, part.to_json()?)
        .with_context(|| format!("writing the partial to {}", out.display()))?;
    eprintln!(
        "wrote {} (shard {k}/{n}: units {}..{} of {}); merge every shard with `kendall merge`",
        out.display(),
        part.range[0],
        part.range[1],
        part.units
    );
    Ok(())
}

/// A `--time-limit`: seconds, or none.
#[derive(Clone, Copy)]
struct TimeLimit(Option<f64>);

fn time_limit_arg(s: &str) -> std::result::Result<TimeLimit, String> {
    if s.trim().eq_ignore_ascii_case("none") {
        return Ok(TimeLimit(None));
    }
    let t = parse_duration(s)?;
    if t.is_finite() && t > 0.0 {
        Ok(TimeLimit(Some(t)))
    } else {
        Err(format!(
            "{s:?}: give a duration > 0 such as \"90s\" or \"10m\", or \"none\""
        ))
    }
}

/// An error in what the user gave on the command line (exit code 2), for checks the
/// command line makes itself.
#[derive(Debug)]
struct Usage(&'static str);

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// How a command that printed its output ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Everything asked for is there.
    Success,
    /// `size`: some SLO is not met (exit code 3).
    SloNotMet,
    /// `solve`: some queue has no figure, unstable or no method (exit code 4).
    FigureRefused,
}

impl RunArgs {
    fn apply(&self, model: &Model) -> Result<RunSettings> {
        let mut s = model.simulation.clone();
        if let Some(r) = self.replications {
            s.replications = r;
        }
        if let Some(v) = self.seed {
            s.seed = v;
        }
        if let Some(h) = self.horizon {
            s.horizon = Some(h);
        }
        if let Some(w) = self.warmup {
            s.warmup = w;
        }
        if let Some(c) = self.completions {
            s.completions = Some(c);
        }
        if let Some(c) = self.confidence {
            s.confidence = c;
        }
        if let Some(t) = self.time_series {
            s.time_series = Some(t);
        }
        let mut problems = Vec::new();
        s.check(&mut problems);
        if let Some(p) = problems.first() {
            return Err(
                anyhow::anyhow!("{p} (from the command line or the scenario)")
                    .context(Usage("bad run settings")),
            );
        }
        Ok(s)
    }
}

/// A progress bar on stderr that appears only for runs longer than a second and only
/// when stderr is a terminal.
struct Progress {
    bar: ProgressBar,
    started: Instant,
    terminal: bool,
}

impl Progress {
    fn new(total: u32) -> Self {
        let bar =
            ProgressBar::with_draw_target(Some(u64::from(total)), ProgressDrawTarget::hidden());
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} replications {pos}/{len} [{bar:30}] {elapsed_precise} eta {eta}",
            )
            .expect("static template")
            .progress_chars("=> "),
        );
        Self {
            bar,
            started: Instant::now(),
            terminal: std::io::stderr().is_terminal(),
        }
    }
    fn update(&self, done: u32, _total: u32) {
        if self.terminal && self.bar.is_hidden() && self.started.elapsed().as_secs_f64() > 1.0 {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
        self.bar.set_position(u64::from(done));
    }
    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// A spinner on stderr for `size`: the phase, the solves and simulations so far and the
/// elapsed time; it appears only after a second and only when stderr is a terminal.
struct SizingSpinner {
    bar: ProgressBar,
    started: Instant,
    terminal: bool,
}

impl SizingSpinner {
    fn new() -> Self {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        bar.set_style(
            ProgressStyle::with_template("{spinner} sizing: {msg} [{elapsed_precise}]")
                .expect("static template"),
        );
        Self {
            bar,
            started: Instant::now(),
            terminal: std::io::stderr().is_terminal(),
        }
    }
    fn update(&self, p: &kendall::SizingProgress<'_>) -> kendall::Control {
        if self.terminal && self.bar.is_hidden() && self.started.elapsed().as_secs_f64() > 1.0 {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
        let shown: Vec<String> = p.consumers.iter().take(8).map(u32::to_string).collect();
        let more = if p.consumers.len() > 8 { ", ..." } else { "" };
        self.bar.set_message(format!(
            "{}, {} solves, {} simulations, consumers [{}{more}]",
            p.phase,
            p.analytic_solves,
            p.simulations,
            shown.join(", ")
        ));
        self.bar.tick();
        kendall::Control::Continue
    }
    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

#[derive(Subcommand)]
enum Command {
    /// Solve every queue of a scenario analytically, labelling each figure with its method.
    Solve {
        #[command(flatten)]
        scenario: ScenarioArg,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Simulate a scenario: independent replications in parallel, every metric with its
    /// confidence interval.
    Simulate {
        #[command(flatten)]
        scenario: ScenarioArg,
        #[command(flatten)]
        run: RunArgs,
        /// Write a chart of queue length and latency over time (.svg or .png).
        #[arg(long)]
        plot: Option<PathBuf>,
        /// Write the time series as CSV (node, metric, start, end, mean, lower, upper; one
        /// row per bucket, node and metric): `--time-series` or the scenario's
        /// `time_series` sets the buckets (default 1/100 of the run).
        #[arg(long)]
        series: Option<PathBuf>,
        /// Run only shard K of N (1-based, e.g. 3/8) of the replications and write it as
        /// a partial (`--out`), for `kendall merge`: a batch scheduler's job array runs
        /// the shards, one merge gives the report of the whole run, bit for bit.
        #[arg(long, value_parser = shard_arg, requires = "out")]
        shard: Option<(u32, u32)>,
        /// Where to write the shard's partial (.kpart).
        #[arg(long, requires = "shard")]
        out: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Find the smallest (cheapest) consumers per queue meeting the SLOs, verified by
    /// simulation, with headroom and evidence.
    Size {
        #[command(flatten)]
        scenario: ScenarioArg,
        /// An SLO, e.g. "end_to_end.p99 < 200ms", "payments.utilisation < 0.7",
        /// "ledger.consumers >= 3" (repeatable; added to the scenario's `slo` list).
        #[arg(long = "slo")]
        slos: Vec<String>,
        /// Only these queues may change (repeatable; default: all).
        #[arg(long = "queue")]
        queues: Vec<String>,
        /// Skip the verification by simulation.
        #[arg(long)]
        no_verify: bool,
        /// Most time the whole search may take, e.g. "90s", "10m", or "none"; past it
        /// kendall stops with exit code 1 and no verdict.
        #[arg(long, value_parser = time_limit_arg, default_value = "10m")]
        time_limit: TimeLimit,
        /// Write a chart of consumers against the primary SLO (.svg or .png).
        #[arg(long)]
        plot: Option<PathBuf>,
        #[command(flatten)]
        run: RunArgs,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Two scenarios side by side (a what-if): every analytic figure of both, the
    /// absolute and relative change, and the SLOs that flip.
    Diff {
        /// Scenario a (.toml or .json).
        a: PathBuf,
        /// Scenario b.
        b: PathBuf,
        /// Multiply every source's rate in b by this factor (b may be a's file: `kendall
        /// diff s.toml s.toml --load-b 1.2`).
        #[arg(long)]
        load_b: Option<f64>,
        /// Also compare these percentile levels (per cent), e.g. "99.95".
        #[arg(long, value_delimiter = ',')]
        percentiles: Vec<f64>,
        /// Also compare P(W > t) and P(Wq > t) at these times, e.g. "50ms".
        #[arg(long, value_delimiter = ',', value_parser = duration_arg)]
        at: Vec<f64>,
        /// An SLO to evaluate on both sides besides the scenarios' own (repeatable).
        #[arg(long = "slo")]
        slos: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Merge the partials of a run split with `--shard` (`simulate` or `sweep
    /// --simulate`) into its report: the same output, bit for bit, as the run in one
    /// process. Refuses partials of another model, seed or run, damaged or edited ones,
    /// and missing or repeated shards.
    Merge {
        /// The partials (.kpart) of every shard, in any order.
        #[arg(required = true)]
        parts: Vec<PathBuf>,
        /// Write the run's chart, as `simulate --plot` or `sweep --plot` would.
        #[arg(long)]
        plot: Option<PathBuf>,
        /// A simulation's time series as CSV, as `simulate --series`.
        #[arg(long)]
        series: Option<PathBuf>,
        /// A sweep chart's latency axis on a log scale.
        #[arg(long, requires = "plot")]
        log_y: bool,
        /// The figure of a two-parameter sweep's grid and heatmap, as `sweep --metric`.
        #[arg(long)]
        metric: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Vary the load (or any numeric parameter), or a grid of two parameters, and report
    /// metrics at each point, analytic and/or simulated, in parallel.
    Sweep {
        #[command(flatten)]
        scenario: ScenarioArg,
        /// `load` (a multiplier of every source's rate) or a path such as
        /// `queue.payments.servers` or `queue.payments.service.mean`.
        #[arg(long, default_value = "load")]
        param: String,
        /// First value.
        #[arg(long, default_value_t = 0.5)]
        from: f64,
        /// Last value.
        #[arg(long, default_value_t = 1.2)]
        to: f64,
        /// Number of evenly spaced values.
        #[arg(long, default_value_t = 15)]
        steps: usize,
        /// Explicit values instead of --from/--to/--steps, comma-separated.
        #[arg(long, value_delimiter = ',')]
        values: Vec<f64>,
        /// A second parameter (same paths as --param) for a grid: every value of --param
        /// with every value of --param2, e.g. load × `queue.payments.servers`.
        #[arg(long)]
        param2: Option<String>,
        /// First value of the second parameter.
        #[arg(long, requires = "param2")]
        from2: Option<f64>,
        /// Last value of the second parameter.
        #[arg(long, requires = "param2")]
        to2: Option<f64>,
        /// Number of evenly spaced values of the second parameter [default: 5].
        #[arg(long, requires = "param2")]
        steps2: Option<usize>,
        /// Explicit values of the second parameter instead of --from2/--to2/--steps2,
        /// comma-separated.
        #[arg(long, value_delimiter = ',', requires = "param2", conflicts_with_all = ["from2", "to2", "steps2"])]
        values2: Vec<f64>,
        /// An SLO, e.g. "end_to_end.p99 < 200ms" (repeatable; added to the scenario's
        /// `slo` list): drawn on the chart, and in a two-parameter sweep marked `!` in
        /// the table and hatched on the heatmap where it is not met.
        #[arg(long = "slo")]
        slos: Vec<String>,
        /// Also simulate every point (slower); the analytic side always runs.
        #[arg(long)]
        simulate: bool,
        /// The figure a two-parameter sweep shows per point (grid table and heatmap),
        /// written as an SLO's left-hand side: "payments.utilisation", "*.wait.p99",
        /// "end_to_end:checkout.W", "payments.P(>50ms)" [default: end_to_end.p99, the
        /// worst source's].
        #[arg(long)]
        metric: Option<String>,
        /// Write a latency-against-load chart, or for a two-parameter sweep a heatmap of
        /// `--metric` (.svg or .png).
        #[arg(long)]
        plot: Option<PathBuf>,
        /// Draw the chart's latency axis on a log scale (powers of ten).
        #[arg(long, requires = "plot")]
        log_y: bool,
        /// Run only shard K of N (1-based, e.g. 3/8) of the points' replications (needs --simulate) and write it as
        /// a partial (`--out`), for `kendall merge`: a batch scheduler's job array runs
        /// the shards, one merge gives the report of the whole run, bit for bit.
        #[arg(long, value_parser = shard_arg, requires = "out")]
        shard: Option<(u32, u32)>,
        /// Where to write the shard's partial (.kpart).
        #[arg(long, requires = "shard")]
        out: Option<PathBuf>,
        #[command(flatten)]
        run: RunArgs,
        /// Output format (table: one line per point, or for two parameters a grid of the
        /// end-to-end p99; csv or json: every metric of every node).
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Solve and simulate a scenario and show both side by side with relative errors.
    Compare {
        #[command(flatten)]
        scenario: ScenarioArg,
        #[command(flatten)]
        run: RunArgs,
        /// Flag approximations whose relative error exceeds this fraction and whose analytic
        /// value lies outside the simulation's confidence interval.
        #[arg(long, default_value_t = kendall::DEFAULT_FLAG_THRESHOLD)]
        threshold: f64,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Print the JSON Schema of a command's `--format json` output (draft 2020-12).
    Schema {
        /// The command whose output to describe.
        #[arg(value_enum)]
        output: kendall::report::schema::Output,
    },
}

/// Checks a `--plot` path (format from the extension, a writable directory) before any
/// work starts, so a typo fails at once rather than after a long run.
fn check_plot(plot: Option<&PathBuf>) -> Result<()> {
    if let Some(path) = plot {
        kendall::report::chart::check_output(path)
            .context("--plot")
            .context(Usage("bad --plot path"))?;
    }
    Ok(())
}

/// The `--slo` arguments, parsed (a bad one is a usage error).
/// Reads `--metric` (the default figure when absent).
fn parse_figure(text: Option<&str>) -> Result<kendall::model::Figure> {
    text.map_or(Ok(Default::default()), |t| {
        t.parse()
            .map_err(|e: String| anyhow::anyhow!("--metric {e}"))
            .context(Usage("bad --metric"))
    })
}

/// Refuses a figure whose queue or source the model does not have, naming the known
/// ones.
fn check_figure(figure: &kendall::model::Figure, model: &Model) -> Result<()> {
    use kendall::model::Target;
    let known = |names: Vec<&str>| names.join(", ");
    match &figure.target {
        Target::Queue(q) if !model.queues.iter().any(|x| &x.name == q) => Err(anyhow::anyhow!(
            "--metric {figure}: unknown queue {q:?}: known are {}",
            known(model.queues.iter().map(|x| x.name.as_str()).collect())
        )
        .context(Usage("bad --metric"))),
        Target::Source(s) if !model.sources.iter().any(|x| &x.name == s) => Err(anyhow::anyhow!(
            "--metric {figure}: unknown source {s:?}: known are {}",
            known(model.sources.iter().map(|x| x.name.as_str()).collect())
        )
        .context(Usage("bad --metric"))),
        _ => Ok(()),
    }
}

fn parse_slos(slos: &[String]) -> Result<Vec<kendall::model::Slo>> {
    slos.iter()
        .map(|s| {
            s.parse()
                .map_err(anyhow::Error::msg)
                .context(Usage("bad --slo"))
        })
        .collect()
}

/// A scenario file and an optional load multiplier (a what-if at another load).
#[derive(clap::Args)]
struct ScenarioArg {
    /// Scenario file (.toml or .json).
    scenario: PathBuf,
    /// Multiply every source's arrival rate by this factor (e.g. 1.2 for 20% more
    /// traffic) before solving, simulating or sizing.
    #[arg(long)]
    load: Option<f64>,
    /// Also report these percentile levels, in per cent, for every queue (wait and
    /// sojourn) and end to end, e.g. "99.95,99.99" (added to the scenario's `[queries]
    /// percentiles`; p50, p95, p99 and p999 are always reported).
    #[arg(long, value_delimiter = ',')]
    percentiles: Vec<f64>,
    /// Also report the tail probabilities P(W > t) and P(Wq > t) at these times, e.g.
    /// "50ms,200ms": the share of messages slower than t (added to `[queries] at`).
    #[arg(long, value_delimiter = ',', value_parser = duration_arg)]
    at: Vec<f64>,
}

impl ScenarioArg {
    /// The scenario as loaded, at the `--load` multiplier when given (its name says so),
    /// asking for the `--percentiles` and `--at` figures.
    fn model(&self) -> Result<Model> {
        let path = &self.scenario;
        let mut model = Model::load(path).with_context(|| format!("loading {}", path.display()))?;
        model.queries.percentiles.extend(&self.percentiles);
        model.queries.at.extend(&self.at);
        if !(self.percentiles.is_empty() && self.at.is_empty()) {
            // Out-of-range levels or times are usage errors naming the flag.
            let mut problems = Vec::new();
            model.queries.check(&mut problems);
            if let Some(p) = problems.first() {
                return Err(anyhow::anyhow!(
                    "{}: {}",
                    p.path
                        .replace("queries.percentiles", "--percentiles")
                        .replace("queries.at", "--at"),
                    p.message
                ))
                .context(Usage("bad --percentiles or --at"));
            }
        }
        let Some(factor) = self.load else {
            return Ok(model);
        };
        let mut scaled = model
            .validate()?
            .with_load_multiplier(factor)?
            .model()
            .clone();
        scaled.name = Some(format!(
            "{} at {factor}x load",
            scaled.name.as_deref().unwrap_or("scenario")
        ));
        Ok(scaled)
    }
}

fn main() -> std::process::ExitCode {
    let code = match run(Cli::parse()) {
        Ok(Outcome::Success) => 0,
        Ok(Outcome::SloNotMet) => 3,
        Ok(Outcome::FigureRefused) => 4,
        Err(e) => {
            // A `Usage` context only classifies the error: print what lies beneath.
            let shown = match e.downcast_ref::<Usage>() {
                Some(_) => e
                    .chain()
                    .skip(1)
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(": "),
                None => format!("{e:#}"),
            };
            eprintln!("error: {shown}");
            exit_code(&e)
        }
    };
    std::process::ExitCode::from(code)
}

/// The exit status of a failed command (see [`EXIT_CODES`]): the one place errors are
/// mapped to codes, by the type of the first library error in the chain.
fn exit_code(e: &anyhow::Error) -> u8 {
    use kendall::report::chart::ChartError;
    use kendall::{CompareError, ModelError, SimError, SizingError, SolveError, SweepError};
    fn sim(e: &SimError) -> u8 {
        match e {
            SimError::PastEvent { .. } => 1,
            SimError::TraceIo { .. } => 2,
            SimError::Model(_) | SimError::Settings(_) | SimError::Trace { .. } => 2,
            SimError::BacklogExceedsCapacity { .. }
            | SimError::MemoryLimit { .. }
            | SimError::PhaseSwitching { .. }
            | SimError::TooManyArrivals { .. } => 2,
            SimError::Unstable { .. } => 4,
            _ => 1,
        }
    }
    if e.downcast_ref::<Usage>().is_some() {
        return 2;
    }
    for cause in e.chain() {
        if let Some(e) = cause.downcast_ref::<kendall::partial::PartialError>() {
            use kendall::partial::PartialError as P;
            return match e {
                P::Sim(s) => sim(s),
                P::Failed { .. } => 1,
                _ => 2,
            };
        }
        if let Some(e) = cause.downcast_ref::<SizingError>() {
            return match e {
                SizingError::Stopped { .. } => 1,
                SizingError::Sim(s) => sim(s),
                SizingError::Unreachable { .. } | SizingError::Infeasible { .. } => 3,
                SizingError::Solve(_) => 4,
                _ => 2,
            };
        }
        if let Some(e) = cause.downcast_ref::<CompareError>() {
            return match e {
                CompareError::Solve(_) => 4,
                CompareError::Sim(s) => sim(s),
                _ => 2,
            };
        }
        if let Some(e) = cause.downcast_ref::<SimError>() {
            return sim(e);
        }
        if cause.downcast_ref::<SolveError>().is_some() {
            return 4;
        }
        if cause.downcast_ref::<ModelError>().is_some()
            || cause.downcast_ref::<SweepError>().is_some()
        {
            return 2;
        }
        if let Some(e) = cause.downcast_ref::<ChartError>() {
            return match e {
                ChartError::UnsupportedFormat { .. } => 2,
                _ => 1,
            };
        }
        if cause.downcast_ref::<std::io::Error>().is_some() {
            return 1;
        }
    }
    1
}

/// Writes `text` to standard output. A closed pipe (`kendall ... | head`) ends the
/// output quietly; any other failure (a full disk, `> /dev/full`) is an error.
fn out(text: &str) -> Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(e).context("writing the output to standard output")
        }
        _ => Ok(()),
    }
}

/// Prints `value` in the chosen format: JSON from serde, or the given CSV or text.
fn emit<T: serde::Serialize>(
    format: Format,
    value: &T,
    csv: impl FnOnce() -> String,
    text: impl FnOnce() -> String,
) -> Result<()> {
    match format {
        Format::Json => out(&(serde_json::to_string_pretty(value)? + "\n"))?,
        Format::Csv => out(&csv())?,
        Format::Table => out(&text())?,
    }
    Ok(())
}

/// Prints a simulation (and writes its chart and time series), as `simulate` does.
fn print_simulation(
    report: &kendall::SimReport,
    model: &Model,
    plot: Option<&PathBuf>,
    series: Option<&PathBuf>,
    format: Format,
) -> Result<()> {
    if let (Some(path), Some(ts)) = (series, &report.time_series) {
        std::fs::write(path, kendall::report::time_series_csv(ts))
            .with_context(|| format!("writing the time series to {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    if let Some(path) = plot {
        let chart = kendall::report::plots::time_series_chart(report, &model.slo)?;
        kendall::report::chart::render_time_series(&chart, path)?;
        eprintln!("wrote {}", path.display());
    }
    emit(
        format,
        report,
        || simulation_table(report).to_csv(),
        || {
            let title = report.model.as_ref().map(|n| format!("{n}: simulation\n"));
            title.unwrap_or_default() + &simulation_text(report)
        },
    )
}

/// Prints a sweep (and writes its chart), as `sweep` does.
fn print_sweep(
    sweep: &kendall::Sweep,
    model: &Model,
    figure: &kendall::model::Figure,
    plot: Option<&PathBuf>,
    log_y: bool,
    format: Format,
) -> Result<()> {
    if let Some(path) = plot {
        if sweep.second.is_some() {
            let chart = kendall::report::plots::sweep_heatmap(model, sweep, figure, &[])?;
            kendall::report::chart::render_heatmap(&chart, path)?;
        } else {
            let mut chart = kendall::report::plots::sweep_chart(model, sweep);
            chart.log_y = log_y;
            kendall::report::chart::render_latency_load(&chart, path)?;
        }
        eprintln!("wrote {}", path.display());
    }
    emit(
        format,
        sweep,
        || sweep_csv(sweep),
        || match sweep.second {
            Some(_) => kendall::report::sweep_grid_text(sweep, figure, &model.slo),
            None => sweep_text(sweep),
        },
    )
}

fn run(cli: Cli) -> Result<Outcome> {
    let mut outcome = Outcome::Success;
    match cli.command {
        Command::Solve { scenario, format } => {
            let model = scenario.model()?.validate()?;
            let solution = solve(&model)?;
            if solution.nodes.iter().any(|n| n.solution().is_none()) {
                outcome = Outcome::FigureRefused;
            }
            emit(
                format,
                &solution,
                || solution_table(&solution).to_csv(),
                || {
                    let title = solution
                        .model
                        .as_ref()
                        .map(|n| format!("{n}: analytic solution\n\n"));
                    title.unwrap_or_default() + &solution_text(&solution)
                },
            )?;
        }
        Command::Simulate {
            scenario,
            run,
            plot,
            series,
            shard,
            out,
            format,
        } => {
            check_plot(plot.as_ref())?;
            let model = scenario.model()?;
            let mut settings = run.apply(&model)?;
            if (plot.is_some() || series.is_some()) && settings.time_series.is_none() {
                // The chart is drawn from the run's own time series: one run, not two.
                settings.time_series = Some(kendall::report::plots::default_resolution(&settings));
            }
            if let (Some(shard), Some(out)) = (shard, &out) {
                model.clone().validate()?;
                let job = kendall::partial::Job::Simulate { model, settings };
                return write_shard(&job, shard, out).map(|()| outcome);
            }
            let valid = model.validate()?;
            let progress = Progress::new(settings.replications);
            let report = kendall::sim::simulate_with_progress(&valid, &settings, &|d, t| {
                progress.update(d, t)
            })?;
            progress.finish();
            print_simulation(
                &report,
                valid.model(),
                plot.as_ref(),
                series.as_ref(),
                format,
            )?;
        }
        Command::Size {
            scenario,
            slos,
            queues,
            no_verify,
            time_limit,
            plot,
            run,
            format,
        } => {
            check_plot(plot.as_ref())?;
            let mut model = scenario.model()?;
            model.simulation = run.apply(&model)?;
            let slos = parse_slos(&slos)?;
            let options = kendall::SizingOptions {
                sizable: queues,
                verify: !no_verify,
                time_limit: time_limit.0,
                ..Default::default()
            };
            let valid = model.validate()?;
            let spinner = SizingSpinner::new();
            let result =
                kendall::size_with_progress(&valid, &slos, &options, &|p| spinner.update(p));
            spinner.finish();
            let result = result?;
            if !result.all_met {
                outcome = Outcome::SloNotMet;
            }
            if let Some(path) = &plot {
                let chart = kendall::report::plots::sizing_chart(&result)
                    .context("no latency SLO to chart: give one such as \"end_to_end.p99 < 200ms\"")
                    .context(Usage("--plot without a latency SLO"))?;
                kendall::report::chart::render_sizing(&chart, path)?;
                eprintln!("wrote {}", path.display());
            }
            emit(
                format,
                &result,
                || sizing_csv(&result),
                || sizing_text(&result),
            )?;
        }
        Command::Sweep {
            scenario,
            param,
            from,
            to,
            steps,
            values,
            param2,
            from2,
            to2,
            steps2,
            values2,
            slos,
            simulate,
            metric,
            plot,
            log_y,
            shard,
            out,
            run,
            format,
        } => {
            check_plot(plot.as_ref())?;
            let mut model = scenario.model()?;
            if metric.is_some() && param2.is_none() {
                return Err(anyhow::anyhow!(
                    "--metric chooses the figure of a two-parameter sweep's grid and heatmap: add --param2 (a one-parameter sweep reports every metric; --format csv)"
                )
                .context(Usage("--metric without --param2")));
            }
            let figure = parse_figure(metric.as_deref())?;
            check_figure(&figure, &model)?;
            // A percentile level or tail threshold no report carries is asked for.
            model.queries.ask(figure.metric);
            for slo in parse_slos(&slos)? {
                if !model.slo.contains(&slo) {
                    model.slo.push(slo);
                }
            }
            let settings = run.apply(&model)?;
            let values = if values.is_empty() {
                kendall::linspace(from, to, steps)?
            } else {
                values
            };
            let second = match param2 {
                None => None,
                Some(parameter) if !values2.is_empty() => {
                    Some(kendall::SweepAxis::new(parameter, values2))
                }
                Some(parameter) => {
                    let (Some(from2), Some(to2)) = (from2, to2) else {
                        return Err(anyhow::anyhow!(
                            "--param2 {parameter} needs its values: give --values2, or --from2 and --to2 (and --steps2, default 5)"
                        )
                        .context(Usage("--param2 without values")));
                    };
                    let values =
                        kendall::linspace(from2, to2, steps2.unwrap_or(5)).context("--steps2")?;
                    Some(kendall::SweepAxis::new(parameter, values))
                }
            };
            let options = kendall::SweepOptions {
                parameter: param,
                values,
                second,
                analytic: true,
                simulate,
            };
            if let (Some(shard), Some(out)) = (shard, &out) {
                if !options.simulate {
                    return Err(anyhow::anyhow!(
                        "--shard splits a sweep's simulations: add --simulate (the analytic side runs at merge)"
                    )
                    .context(Usage("--shard without --simulate")));
                }
                model.clone().validate()?;
                let job = kendall::partial::Job::Sweep {
                    model,
                    settings,
                    options,
                };
                return write_shard(&job, shard, out).map(|()| outcome);
            }
            let progress = Progress::new(options.points().min(u32::MAX as usize) as u32);
            let sweep = kendall::sweep(&model.validate()?, &settings, &options, &|d, t| {
                progress.update(d, t)
            })?;
            progress.finish();
            print_sweep(&sweep, &model, &figure, plot.as_ref(), log_y, format)?;
        }
        Command::Merge {
            parts,
            plot,
            series,
            log_y,
            metric,
            format,
        } => {
            check_plot(plot.as_ref())?;
            let mut texts = Vec::with_capacity(parts.len());
            for path in &parts {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading the partial {}", path.display()))?;
                texts.push((path.display().to_string(), text));
            }
            let named: Vec<(String, &str)> =
                texts.iter().map(|(n, t)| (n.clone(), t.as_str())).collect();
            match kendall::partial::merge_named(&named)? {
                (
                    kendall::partial::Merged::Simulation(report),
                    kendall::partial::Job::Simulate { model, .. },
                ) => print_simulation(&report, &model, plot.as_ref(), series.as_ref(), format)?,
                (
                    kendall::partial::Merged::Sweep(sweep),
                    kendall::partial::Job::Sweep { model, .. },
                ) => {
                    let figure = parse_figure(metric.as_deref())?;
                    check_figure(&figure, &model)?;
                    if !model.queries.has(figure.metric) {
                        return Err(anyhow::anyhow!(
                            "--metric {figure}: the shards were run without this figure (a percentile level or tail threshold no report carries): run them with the same --metric"
                        )
                        .context(Usage("bad --metric")));
                    }
                    print_sweep(&sweep, &model, &figure, plot.as_ref(), log_y, format)?;
                }
                _ => unreachable!("a merged job is of its partials' kind"),
            }
        }
        Command::Diff {
            a,
            b,
            load_b,
            percentiles,
            at,
            slos,
            format,
        } => {
            let a = ScenarioArg {
                scenario: a,
                load: None,
                percentiles: percentiles.clone(),
                at: at.clone(),
            }
            .model()?
            .validate()?;
            let b = ScenarioArg {
                scenario: b,
                load: load_b,
                percentiles,
                at,
            }
            .model()?
            .validate()?;
            let slos = parse_slos(&slos)?;
            let d = kendall::diff(&a, &b, &slos)?;
            emit(
                format,
                &d,
                || kendall::report::diff_table(&d).to_csv(),
                || kendall::report::diff_text(&d),
            )?;
        }
        Command::Compare {
            scenario,
            run,
            threshold,
            format,
        } => {
            let model = scenario.model()?;
            let settings = run.apply(&model)?;
            let progress = Progress::new(settings.replications);
            let c = kendall::compare(&model.validate()?, &settings, threshold, &|d, t| {
                progress.update(d, t)
            })?;
            progress.finish();
            emit(
                format,
                &c,
                || comparison_csv(&c),
                || {
                    let title = c
                        .model
                        .as_ref()
                        .map(|n| format!("{n}: analytic against simulated\n\n"));
                    title.unwrap_or_default()
                        + &comparison_table(&c).to_text()
                        + "\nmethods:\n"
                        + &comparison_methods(&c)
                        + &comparison_summary(&c)
                },
            )?;
        }
        Command::Schema { output } => {
            use kendall::report::schema::json_schema;
            out(&(serde_json::to_string_pretty(&json_schema(output))? + "\n"))?;
        }
    }
    Ok(outcome)
}
