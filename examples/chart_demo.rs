//! Renders one chart of each kind with synthetic but realistic numbers.
//!
//! ```text
//! cargo run --example chart_demo -- OUT_DIR [svg|png|both]
//! ```
//!
//! Writes `latency_vs_load`, `peak_hour` and `sizing` as SVG and/or PNG (default both) into
//! `OUT_DIR`, e.g. to regenerate the README images. The analytic curves are exact M/M/c
//! formulas computed inline (Erlang C); the "simulated" points are those values perturbed by
//! a fixed pseudo-random factor with a confidence interval that widens near saturation, as a
//! stand-in for simulator output.

use std::path::PathBuf;

use kendall::report::chart::{
    BandPoint, LatencyLoadChart, LoadSeries, SimPoint, SizingChart, SizingPoint, TimePanel,
    TimeSeries, TimeSeriesChart, render_latency_load, render_sizing, render_time_series,
};

/// Erlang C: probability that an arrival waits in M/M/c with offered load `a = λ/µ < c`.
fn erlang_c(c: u32, a: f64) -> f64 {
    // Erlang B by the stable recursion, then C = B / (1 − ρ(1 − B)).
    let mut b = 1.0;
    for k in 1..=c {
        b = a * b / (f64::from(k) + a * b);
    }
    let rho = a / f64::from(c);
    b / (1.0 - rho * (1.0 - b))
}

/// Mean sojourn time of M/M/c, in seconds.
fn mmc_mean_sojourn(c: u32, lambda: f64, mu: f64) -> f64 {
    erlang_c(c, lambda / mu) / (f64::from(c) * mu - lambda) + 1.0 / mu
}

/// Mean number waiting in M/M/c.
fn mmc_lq(c: u32, lambda: f64, mu: f64) -> f64 {
    erlang_c(c, lambda / mu) * lambda / (f64::from(c) * mu - lambda)
}

/// p-quantile of the M/M/c sojourn time (FIFO), in seconds, by bisection on
/// P(T > t) = (1 − C) e^{−µt} + C (α e^{−µt} − µ e^{−αt}) / (α − µ), α = cµ − λ.
fn mmc_sojourn_quantile(c: u32, lambda: f64, mu: f64, p: f64) -> f64 {
    let pc = erlang_c(c, lambda / mu);
    let alpha = f64::from(c) * mu - lambda;
    let tail = |t: f64| {
        let conv = if (alpha - mu).abs() < 1e-9 * mu {
            (1.0 + mu * t) * (-mu * t).exp()
        } else {
            (alpha * (-mu * t).exp() - mu * (-alpha * t).exp()) / (alpha - mu)
        };
        (1.0 - pc) * (-mu * t).exp() + pc * conv
    };
    let (mut lo, mut hi) = (0.0, 1.0);
    while tail(hi) > 1.0 - p {
        hi *= 2.0;
    }
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if tail(mid) > 1.0 - p {
            lo = mid
        } else {
            hi = mid
        }
    }
    0.5 * (lo + hi)
}

/// A deterministic pseudo-random factor in [−1, 1] (so the demo needs no RNG).
fn jitter(i: u32) -> f64 {
    let x = (f64::from(i) * 12.9898).sin() * 43_758.545_3;
    2.0 * (x - x.floor()) - 1.0
}

fn latency_vs_load() -> LatencyLoadChart {
    let mu = 50.0; // 20 ms mean service
    let series = [1u32, 2, 4]
        .iter()
        .enumerate()
        .map(|(k, &c)| {
            let cap = f64::from(c) * mu;
            let analytic = (1..=99)
                .map(|i| {
                    let rho = f64::from(i) / 100.0;
                    (rho, 1000.0 * mmc_mean_sojourn(c, rho * cap, mu))
                })
                .collect();
            let simulated = (1..=9)
                .map(|i| {
                    let rho = f64::from(i) / 10.0;
                    let exact = 1000.0 * mmc_mean_sojourn(c, rho * cap, mu);
                    let half = exact * 0.015 / (1.0 - rho).sqrt();
                    let mean = exact + 0.6 * half * jitter(i + 10 * k as u32);
                    SimPoint {
                        x: rho,
                        mean,
                        lower: mean - half,
                        upper: mean + half,
                        unsettled: false,
                    }
                })
                .collect();
            LoadSeries {
                name: format!("M/M/{c}, µ = 50/s per consumer"),
                analytic,
                simulated,
            }
        })
        .collect();
    LatencyLoadChart {
        title: "Mean latency against utilisation ρ (M/M/c)".into(),
        x_label: "utilisation ρ = λ / (c µ)".into(),
        y_label: "mean latency W (ms)".into(),
        series,
        slo: Some((100.0, "SLO: W ≤ 100 ms".into())),
        y_max: None,
        size: None,
        log_y: false,
        saturation: None,
    }
}

fn peak_hour() -> TimeSeriesChart {
    let mu = 50.0;
    let rate = |t: f64| 300.0 + 170.0 * (-((t - 30.0) / 8.0).powi(2)).exp();
    let series = |c: u32, what: fn(u32, f64, f64) -> f64, k: u32| {
        let points = (0..=120)
            .map(|i| {
                let t = f64::from(i) / 2.0;
                // Pointwise-stationary approximation: the M/M/c value at the current rate.
                let mean = what(c, rate(t), mu);
                let spread = 0.15 * mean + 0.02 * mean * jitter(i + 1000 * k);
                BandPoint {
                    t,
                    mean,
                    lower: (mean - spread).max(0.0),
                    upper: mean + 1.4 * spread,
                }
            })
            .collect();
        TimeSeries {
            name: format!("{c} consumers"),
            points,
        }
    };
    let lq = |c, l, m| mmc_lq(c, l, m);
    let w = |c, l, m| 1000.0 * mmc_mean_sojourn(c, l, m);
    TimeSeriesChart {
        title: "Peak hour: λ(t) from 300/s to 470/s, µ = 50/s".into(),
        x_label: "time (min)".into(),
        band_label: "min–max over 20 replications".into(),
        panels: vec![
            TimePanel {
                y_label: "messages waiting Lq".into(),
                series: vec![series(10, lq, 0), series(11, lq, 1)],
                reference: None,
            },
            TimePanel {
                y_label: "mean latency (ms)".into(),
                series: vec![series(10, w, 2), series(11, w, 3)],
                reference: Some((100.0, "SLO: W ≤ 100 ms".into())),
            },
        ],
        size: None,
        marker: None,
    }
}

fn sizing() -> SizingChart {
    let (lambda, mu) = (400.0, 50.0); // offered load 8 Erlangs
    let range = 9..=16u32;
    let p99 = |c| 1000.0 * mmc_sojourn_quantile(c, lambda, mu, 0.99);
    let slo = 120.0;
    let chosen = range.clone().find(|&c| p99(c) <= slo);
    SizingChart {
        title: "Ledger consumers for λ = 400/s, µ = 50/s".into(),
        x_label: "consumers c".into(),
        y_label: "p99 latency (ms)".into(),
        analytic: range.clone().map(|c| (c, p99(c))).collect(),
        simulated: range
            .map(|c| {
                let exact = p99(c);
                let half = exact * 0.03;
                let mean = exact * (1.0 + 0.02 * jitter(c));
                SizingPoint {
                    consumers: c,
                    mean,
                    lower: mean - half,
                    upper: mean + half,
                }
            })
            .collect(),
        slo: Some((slo, "SLO: p99 ≤ 120 ms".into())),
        chosen,
        // 8 Erlangs: 8 consumers or fewer never catch up.
        unstable_below: Some(9),
        y_max: None,
        size: None,
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(
        args.next()
            .ok_or("usage: chart_demo OUT_DIR [svg|png|both]")?,
    );
    let exts: &[&str] = match args.next().as_deref() {
        None | Some("both") => &["svg", "png"],
        Some("svg") => &["svg"],
        Some("png") => &["png"],
        Some(other) => return Err(format!("unknown format {other:?}: svg, png or both").into()),
    };
    std::fs::create_dir_all(&dir)?;
    for ext in exts {
        let p = |name: &str| dir.join(format!("{name}.{ext}"));
        render_latency_load(&latency_vs_load(), &p("latency_vs_load"))?;
        render_time_series(&peak_hour(), &p("peak_hour"))?;
        render_sizing(&sizing(), &p("sizing"))?;
        println!(
            "wrote {}",
            p("{latency_vs_load,peak_hour,sizing}").display()
        );
    }
    Ok(())
}
