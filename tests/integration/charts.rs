//! Chart rendering: every chart kind to SVG and PNG, checked as files, plus the error paths
//! (unknown extension, unwritable path, bad data) and that failures leave no file behind.
#![cfg(feature = "charts")]

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use kendall::report::chart::{
    BandPoint, ChartError, LatencyLoadChart, LoadSeries, SimPoint, SizingChart, SizingPoint,
    TimePanel, TimeSeries, TimeSeriesChart, latency_load_svg, render_latency_load, render_sizing,
    render_time_series, sizing_svg, time_series_svg,
};

/// A fresh, empty directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kendall_charts_{}_{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn latency_chart() -> LatencyLoadChart {
    // M/M/1 mean sojourn 1/(µ − λ) with µ = 100/s, in ms, against ρ.
    let w = |rho: f64| 10.0 / (1.0 - rho);
    LatencyLoadChart {
        title: "Latency against load, µ = 100/s".into(),
        x_label: "utilisation ρ".into(),
        y_label: "mean latency (ms)".into(),
        series: vec![
            LoadSeries {
                name: "M/M/1".into(),
                analytic: (1..=99)
                    .map(|i| (i as f64 / 100.0, w(i as f64 / 100.0)))
                    .collect(),
                simulated: (1..=9)
                    .map(|i| {
                        let r = i as f64 / 10.0;
                        SimPoint {
                            x: r,
                            mean: w(r),
                            lower: 0.97 * w(r),
                            upper: 1.03 * w(r),
                            unsettled: false,
                        }
                    })
                    .collect(),
            },
            LoadSeries {
                name: "simulated only".into(),
                analytic: vec![],
                simulated: vec![SimPoint {
                    x: 0.5,
                    mean: 500.0,
                    lower: 450.0,
                    upper: 550.0,
                    unsettled: false,
                }],
            },
        ],
        slo: Some((50.0, "SLO: W ≤ 50 ms".into())),
        y_max: None,
        size: Some((800, 500)),
        log_y: false,
        saturation: None,
    }
}

fn time_chart() -> TimeSeriesChart {
    let pts = |scale: f64| {
        (0..=60)
            .map(|m| {
                let t = m as f64;
                let mean = scale * (1.0 + 5.0 * (-((t - 30.0) / 8.0).powi(2)).exp());
                BandPoint {
                    t,
                    mean,
                    lower: 0.8 * mean,
                    upper: 1.25 * mean,
                }
            })
            .collect()
    };
    TimeSeriesChart {
        title: "Peak hour profile".into(),
        x_label: "time (min)".into(),
        band_label: "min–max over 10 replications".into(),
        panels: vec![
            TimePanel {
                y_label: "queue length (messages)".into(),
                series: vec![TimeSeries {
                    name: "orders".into(),
                    points: pts(2.0),
                }],
                reference: None,
            },
            TimePanel {
                y_label: "latency (ms)".into(),
                series: vec![TimeSeries {
                    name: "orders".into(),
                    points: pts(20.0),
                }],
                reference: Some((100.0, "SLO: p99 ≤ 100 ms".into())),
            },
        ],
        size: None,
        marker: None,
    }
}

fn sizing_chart() -> SizingChart {
    SizingChart {
        title: "Consumers for the ledger".into(),
        x_label: "consumers".into(),
        y_label: "p99 latency (ms)".into(),
        analytic: vec![(3, 2000.0), (4, 180.0), (5, 95.0), (6, 80.0), (7, 76.0)],
        simulated: vec![
            SizingPoint {
                consumers: 4,
                mean: 185.0,
                lower: 170.0,
                upper: 200.0,
            },
            SizingPoint {
                consumers: 5,
                mean: 97.0,
                lower: 92.0,
                upper: 102.0,
            },
        ],
        slo: Some((100.0, "SLO: p99 ≤ 100 ms".into())),
        chosen: Some(5),
        unstable_below: Some(3),
        y_max: None,
        size: None,
    }
}

/// Checks an SVG document is complete and carries the given texts as `<text>` content.
fn check_svg(svg: &str, texts: &[&str]) {
    let start = svg.trim_start();
    assert!(
        start.starts_with("<svg") || start.starts_with("<?xml"),
        "bad start: {}",
        &svg[..40]
    );
    assert!(svg.trim_end().ends_with("</svg>"), "SVG not closed");
    assert!(
        svg.len() > 5_000,
        "SVG suspiciously small: {} bytes",
        svg.len()
    );
    let contents = text_contents(svg);
    for t in texts {
        assert!(
            contents.iter().any(|c| c == t),
            "missing <text> {t:?} in {contents:?}"
        );
    }
    assert_eq!(svg.matches("<svg").count(), 1);
}

/// The trimmed content of every `<text>` element.
fn text_contents(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .map(|rest| {
            let body = &rest[rest.find('>').unwrap() + 1..];
            body[..body.find("</text>").expect("unclosed <text>")]
                .trim()
                .to_string()
        })
        .collect()
}

/// Width and height from the IHDR chunk, parsed by hand.
fn ihdr(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "no PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR", "first chunk is not IHDR");
    let be = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().unwrap());
    assert_eq!(be(8), 13, "IHDR length");
    (be(16), be(20))
}

/// Decodes a PNG and returns (width, height, distinct RGB colours, pixels of `colour`).
fn decode(path: &Path, colour: [u8; 3]) -> (u32, u32, usize, usize) {
    let decoder = png::Decoder::new(fs::File::open(path).unwrap());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb, "expected 8-bit RGB");
    let px = &buf[..info.buffer_size()];
    let colours: HashSet<&[u8]> = px.chunks(3).collect();
    let hits = px.chunks(3).filter(|p| *p == colour).count();
    (info.width, info.height, colours.len(), hits)
}

fn check_png(path: &Path, size: (u32, u32)) {
    let bytes = fs::read(path).unwrap();
    assert!(
        bytes.len() > 20_000,
        "PNG suspiciously small: {} bytes",
        bytes.len()
    );
    assert_eq!(ihdr(&bytes), size);
    let (w, h, colours, slo_pixels) = decode(path, [180, 0, 0]);
    assert_eq!((w, h), size);
    // White background, several series colours, antialiased text: far from one colour.
    assert!(colours > 50, "only {colours} colours");
    // The dashed SLO line and its label are drawn in (180, 0, 0).
    assert!(slo_pixels > 200, "SLO line missing: {slo_pixels} pixels");
}

fn no_leftovers(dir: &Path, expected: &[&str]) {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut expected: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(names, expected, "temporary files left behind");
}

#[test]
fn latency_load_svg_and_png() {
    let dir = scratch("latency");
    let chart = latency_chart();
    render_latency_load(&chart, &dir.join("a.svg")).unwrap();
    render_latency_load(&chart, &dir.join("a.png")).unwrap();
    let svg = fs::read_to_string(dir.join("a.svg")).unwrap();
    check_svg(
        &svg,
        &[
            &chart.title,
            &chart.x_label,
            &chart.y_label,
            "M/M/1",
            "SLO: W ≤ 50 ms",
        ],
    );
    assert_eq!(
        svg,
        latency_load_svg(&chart).unwrap(),
        "file and string differ"
    );
    check_png(&dir.join("a.png"), (800, 500));
    no_leftovers(&dir, &["a.png", "a.svg"]);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn time_series_svg_and_png() {
    let dir = scratch("time");
    let chart = time_chart();
    render_time_series(&chart, &dir.join("t.svg")).unwrap();
    render_time_series(&chart, &dir.join("t.PNG")).unwrap();
    let svg = fs::read_to_string(dir.join("t.svg")).unwrap();
    check_svg(
        &svg,
        &[
            &chart.title,
            "time (min)",
            "queue length (messages)",
            "latency (ms)",
            "orders",
        ],
    );
    assert_eq!(svg, time_series_svg(&chart).unwrap());
    // Two panels: default height grows by one panel.
    check_png(&dir.join("t.PNG"), (1000, 1020));
    no_leftovers(&dir, &["t.PNG", "t.svg"]);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sizing_svg_and_png() {
    let dir = scratch("sizing");
    let chart = sizing_chart();
    render_sizing(&chart, &dir.join("s.svg")).unwrap();
    render_sizing(&chart, &dir.join("s.png")).unwrap();
    let svg = fs::read_to_string(dir.join("s.svg")).unwrap();
    check_svg(
        &svg,
        &[
            &chart.title,
            &chart.x_label,
            &chart.y_label,
            "chosen: 5 consumers",
            "analytic",
            "unstable: fewer than 3 consumers",
        ],
    );
    assert_eq!(svg, sizing_svg(&chart).unwrap());
    check_png(&dir.join("s.png"), (1000, 640));
    no_leftovers(&dir, &["s.png", "s.svg"]);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn svg_text_is_escaped() {
    let mut chart = sizing_chart();
    chart.title = "p99 < 100 & \"fast\"".into();
    let svg = sizing_svg(&chart).unwrap();
    assert!(
        !svg.contains("p99 < 100 & "),
        "raw markup characters in SVG"
    );
    assert!(svg.contains("p99 &lt; 100 &amp; "));
}

#[test]
fn unknown_extension_is_an_error() {
    let dir = scratch("ext");
    for name in ["c.jpg", "c", "c.svg.txt"] {
        let err = render_sizing(&sizing_chart(), &dir.join(name)).unwrap_err();
        assert!(
            matches!(err, ChartError::UnsupportedFormat { .. }),
            "{name}: {err}"
        );
        assert!(err.to_string().contains(".svg or *.png"));
    }
    no_leftovers(&dir, &[]);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn unwritable_paths_are_errors_and_leave_nothing() {
    let dir = scratch("unwritable");
    let missing = dir.join("no_such_dir");
    for ext in ["svg", "png"] {
        let err =
            render_latency_load(&latency_chart(), &missing.join(format!("x.{ext}"))).unwrap_err();
        assert!(matches!(err, ChartError::Write { .. }), "{ext}: {err}");
        // A directory where the file should go: drawing succeeds, the final rename fails,
        // and the temporary file is removed.
        let blocker = dir.join(format!("taken.{ext}"));
        fs::create_dir_all(blocker.join("inside")).unwrap();
        let err = render_time_series(&time_chart(), &blocker).unwrap_err();
        assert!(matches!(err, ChartError::Write { .. }), "{ext}: {err}");
    }
    no_leftovers(&dir, &["taken.png", "taken.svg"]);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_data_is_an_error_and_keeps_the_old_file() {
    let dir = scratch("bad");
    let path = dir.join("keep.svg");
    fs::write(&path, "old").unwrap();
    let mut chart = latency_chart();
    chart.series[0].simulated[2].lower = f64::NAN;
    let err = render_latency_load(&chart, &path).unwrap_err();
    assert!(
        err.to_string().contains("series[0].simulated[2].lower"),
        "error does not name the field: {err}"
    );
    let mut chart = latency_chart();
    chart.series[0].simulated[0].upper = 0.0;
    assert!(matches!(
        render_latency_load(&chart, &path),
        Err(ChartError::InvalidData { .. })
    ));
    let mut chart = latency_chart();
    chart.series.clear();
    assert!(render_latency_load(&chart, &path).is_err());
    let mut chart = latency_chart();
    chart.size = Some((10, 10));
    assert!(render_latency_load(&chart, &path).is_err());
    let mut chart = latency_chart();
    chart.y_max = Some(-1.0);
    assert!(render_latency_load(&chart, &path).is_err());
    let mut chart = time_chart();
    chart.panels[0].series[0].points.swap(3, 4);
    let err = render_time_series(&chart, &path).unwrap_err();
    assert!(err.to_string().contains("increase"), "{err}");
    let mut chart = sizing_chart();
    chart.analytic[0].1 = f64::INFINITY;
    assert!(render_sizing(&chart, &path).is_err());
    assert_eq!(fs::read_to_string(&path).unwrap(), "old");
    no_leftovers(&dir, &["keep.svg"]);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn charts_round_trip_through_json() {
    // Values exactly representable in short decimal form, so the round trip is exact.
    let chart = sizing_chart();
    let json = serde_json::to_string(&chart).unwrap();
    let back: SizingChart = serde_json::from_str(&json).unwrap();
    assert_eq!(back, chart);
    let chart = time_chart();
    let json = serde_json::to_string(&chart).unwrap();
    let back: TimeSeriesChart = serde_json::from_str(&json).unwrap();
    assert_eq!(back.panels.len(), 2);
    assert!(time_series_svg(&back).is_ok());
    // Optional fields may be left out.
    let minimal = r#"{"title":"t","x_label":"x","y_label":"y",
        "series":[{"name":"a","analytic":[[0.1,1.0],[0.5,2.0]]}]}"#;
    let chart: LatencyLoadChart = serde_json::from_str(minimal).unwrap();
    assert!(latency_load_svg(&chart).is_ok());
}

#[test]
fn points_above_the_axis_do_not_break_drawing() {
    // Everything far above an explicit y_max, and a single x value.
    let chart = LatencyLoadChart {
        title: "clipped".into(),
        x_label: "load".into(),
        y_label: "latency (s)".into(),
        series: vec![LoadSeries {
            name: "a".into(),
            analytic: vec![(1.0, 50.0)],
            simulated: vec![SimPoint {
                x: 1.0,
                mean: 60.0,
                lower: 55.0,
                upper: 65.0,
                unsettled: false,
            }],
        }],
        slo: None,
        y_max: Some(1.0),
        size: None,
        log_y: false,
        saturation: None,
    };
    check_svg(
        &latency_load_svg(&chart).unwrap(),
        &["clipped", "latency (s)"],
    );
}

/// Values beyond the top of a linear axis are triangles at the edge, with a legend
/// entry that says so; `log_y` draws the whole range on powers of ten instead, with no
/// saturation left to mark.
#[test]
fn saturation_is_labelled_and_the_log_axis_shows_decades() {
    let chart = latency_chart();
    let svg = latency_load_svg(&chart).unwrap();
    check_svg(&svg, &["▲ beyond the axis: saturated (see the table)"]);
    let mut log = latency_chart();
    log.log_y = true;
    let svg = latency_load_svg(&log).unwrap();
    check_svg(
        &svg,
        &[
            &log.title,
            &log.y_label,
            "10",
            "100",
            "1000",
            "SLO: W ≤ 50 ms",
        ],
    );
    assert!(
        !text_contents(&svg)
            .iter()
            .any(|t| t.contains("beyond the axis"))
    );
}

/// The heatmap of a two-parameter sweep (load × consumers of payments.toml): title, axis
/// labels with units, colour bar label, legend entries for the SLO and unstable points,
/// the values as tick labels; the same drawing to a file and as a string; a PNG of the
/// requested size with the hatched and grey cells.
#[test]
fn heatmap_of_a_two_parameter_sweep_svg_and_png() {
    use kendall::report::chart::{HeatCell, heatmap_svg, render_heatmap};
    use kendall::{Model, SweepAxis, SweepOptions, sweep};
    let dir = scratch("heatmap");
    let m = Model::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/payments.toml"
    ))
    .unwrap();
    let opts = SweepOptions {
        values: vec![0.5, 0.8, 1.1],
        second: Some(SweepAxis::new(
            "queue.payments.servers",
            vec![8.0, 9.0, 12.0],
        )),
        ..SweepOptions::default()
    };
    let s = sweep(&m.validate().unwrap(), &m.simulation, &opts, &|_, _| {}).unwrap();
    let mut chart =
        kendall::report::plots::sweep_heatmap(&m, &s, &Default::default(), &[]).unwrap();
    assert_eq!(
        chart.title,
        "payments: p99 latency over offered load × consumers at payments (analytic)"
    );
    // Row-major by x: load 1.1 on 8 consumers (rho = 1.1) is unstable, on 9 consumers
    // (rho = 0.98) the p99 misses the scenario's SLO (200 ms).
    assert_eq!(chart.cells[6], HeatCell::Unstable);
    assert!(matches!(
        chart.cells[7],
        HeatCell::Value { value, slo_met: Some(false) } if value > 200.0
    ));
    assert!(matches!(
        chart.cells[0],
        HeatCell::Value { value, slo_met: Some(true) } if value < 200.0
    ));
    // The load multiplier drawn as the offered rate (800/s at 1).
    let rates: Vec<f64> = chart.x_values.iter().map(|x| x.round()).collect();
    assert_eq!(rates, vec![400.0, 640.0, 880.0]);
    chart.size = Some((900, 560));
    render_heatmap(&chart, &dir.join("h.svg")).unwrap();
    render_heatmap(&chart, &dir.join("h.png")).unwrap();
    let svg = fs::read_to_string(dir.join("h.svg")).unwrap();
    check_svg(
        &svg,
        &[
            &chart.title,
            "offered load (messages/s; the scenario&apos;s rates = 800)",
            "consumers at payments",
            "end-to-end latency p99, worst source (ms)",
            "(log scale)",
            "SLO not met (hatched)",
            "end_to_end.p99 &lt; 200ms",
            "unstable",
            "(utilisation ≥ 1)",
            "880",
            "12",
        ],
    );
    assert_eq!(svg, heatmap_svg(&chart).unwrap(), "file and string differ");
    let bytes = fs::read(dir.join("h.png")).unwrap();
    assert_eq!(ihdr(&bytes), (900, 560));
    // The unstable cell's grey, and many colours (the viridis cells and the colour bar).
    let (_, _, colours, grey) = decode(&dir.join("h.png"), [150, 150, 150]);
    assert!(colours > 100, "only {colours} colours");
    assert!(grey > 2_000, "unstable cell missing: {grey} grey pixels");
    no_leftovers(&dir, &["h.png", "h.svg"]);
    fs::remove_dir_all(&dir).unwrap();
}

/// A heatmap of another figure: each cell is that figure at its point, in the figure's
/// unit, with the SLOs still hatching the cells where they fail. References from the
/// scenario's parameters (payments: 800/s × load, 10 ms, c consumers), not from the
/// solver: utilisation λ·E[S]/c; the ledger's throughput λ; the worst queue's P(wait)
/// is checked against Erlang C of the busiest queue.
#[test]
fn heatmap_of_another_figure_utilisation_throughput_and_the_worst_queue() {
    use kendall::model::Figure;
    use kendall::report::chart::{HeatCell, heatmap_svg};
    use kendall::{Model, SweepAxis, SweepOptions, sweep};
    let m = Model::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/payments.toml"
    ))
    .unwrap();
    let loads = [0.5, 0.8, 1.1];
    let servers = [8.0, 9.0, 12.0];
    let opts = SweepOptions {
        values: loads.to_vec(),
        second: Some(SweepAxis::new("queue.payments.servers", servers.to_vec())),
        ..SweepOptions::default()
    };
    let s = sweep(&m.validate().unwrap(), &m.simulation, &opts, &|_, _| {}).unwrap();
    let value = |c: &HeatCell| match c {
        HeatCell::Value { value, .. } => Some(*value),
        _ => None,
    };
    let util: Figure = "payments.utilisation".parse().unwrap();
    let chart = kendall::report::plots::sweep_heatmap(&m, &s, &util, &[]).unwrap();
    assert_eq!(chart.value_label, "payments utilisation");
    assert_eq!(
        chart.title,
        "payments: payments utilisation over offered load × consumers at payments (analytic)"
    );
    for (i, load) in loads.iter().enumerate() {
        for (k, c) in servers.iter().enumerate() {
            let cell = &chart.cells[i * servers.len() + k];
            let rho = 800.0 * load * 0.010 / c;
            if rho >= 1.0 {
                assert_eq!(*cell, HeatCell::Unstable, "load {load}, {c} consumers");
            } else {
                let v = value(cell).unwrap();
                assert!(
                    (v - rho).abs() < 1e-12,
                    "load {load}, {c}: {v} against {rho}"
                );
            }
        }
    }
    // A rate: the ledger's throughput, every message of checkout, in messages/s.
    let x: Figure = "ledger.throughput".parse().unwrap();
    let chart = kendall::report::plots::sweep_heatmap(&m, &s, &x, &[]).unwrap();
    assert_eq!(chart.value_label, "ledger throughput (messages/s)");
    let v = value(&chart.cells[0]).unwrap();
    assert!((v - 400.0).abs() < 1e-9, "{v}");
    // The worst queue's P(wait) at load 0.5 on 12 consumers is the busiest queue's:
    // the ledger (400/s × 4 ms on 4 listeners, a = 1.6) against payments (a = 4 on 12).
    // Erlang C by the textbook sum (small c, no recursion of kendall's).
    let erlang_c = |c: u32, a: f64| {
        let mut term = 1.0;
        let mut sum = 1.0;
        for k in 1..c {
            term *= a / f64::from(k);
            sum += term;
        }
        let last = term * a / f64::from(c) * f64::from(c) / (f64::from(c) - a);
        last / (sum + last)
    };
    let worst = erlang_c(4, 1.6)
        .max(erlang_c(12, 4.0))
        .max(erlang_c(3, 400.0 * 0.003))
        .max(erlang_c(2, 400.0 * 0.002));
    let pw: Figure = "*.P(wait)".parse().unwrap();
    let chart = kendall::report::plots::sweep_heatmap(&m, &s, &pw, &[]).unwrap();
    assert_eq!(chart.value_label, "P(wait), worst queue");
    let v = value(&chart.cells[2]).unwrap();
    assert!((v - worst).abs() < 1e-12, "{v} against {worst}");
    // The scenario's SLO still hatches: load 1.1 on 9 consumers misses p99 < 200 ms.
    let chart = kendall::report::plots::sweep_heatmap(&m, &s, &util, &[]).unwrap();
    assert!(matches!(
        chart.cells[7],
        HeatCell::Value {
            slo_met: Some(false),
            ..
        }
    ));
    let svg = heatmap_svg(&chart).unwrap();
    check_svg(
        &svg,
        &[
            &chart.title,
            "payments utilisation",
            "SLO not met (hatched)",
        ],
    );
}

/// `examples/payments.toml` swept over `values` (and `second`), simulated for only 4 ×
/// 30 s: too short to settle near saturation.
fn payments_at_30s(
    values: Vec<f64>,
    second: Option<kendall::SweepAxis>,
) -> (kendall::Model, kendall::Sweep) {
    use kendall::{Model, RunSettings, SweepOptions, sweep};
    let m = Model::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/payments.toml"
    ))
    .unwrap();
    let opts = SweepOptions {
        values,
        second,
        simulate: true,
        ..SweepOptions::default()
    };
    let settings = RunSettings {
        horizon: Some(30.0),
        replications: 4,
        ..m.simulation.clone()
    };
    let s = sweep(&m.validate().unwrap(), &settings, &opts, &|_, _| {}).unwrap();
    (m, s)
}

/// Whether point `k`'s simulation warned about the mean sojourn of `node`.
fn warned_of(s: &kendall::Sweep, k: usize, node: &str) -> bool {
    s.points[k]
        .simulated
        .as_ref()
        .unwrap()
        .warnings
        .iter()
        .any(|w| w.node == node && w.affects(kendall::Metric::MeanSojourn))
}

/// A simulated grid flags a figure the run did not settle for (a simulator warning names
/// it): "?" in the table and on the heatmap, with the reason in the footnote and legend;
/// settled figures are plain values.
#[test]
fn simulated_grid_flags_figures_that_did_not_settle() {
    use kendall::SweepAxis;
    use kendall::report::chart::{HeatCell, heatmap_svg};
    // Load 1.1 on 9 consumers is utilisation 0.978: 30 s is far too short to settle.
    let (m, s) = payments_at_30s(
        vec![0.5, 1.1],
        Some(SweepAxis::new("queue.payments.servers", vec![9.0, 12.0])),
    );
    let figure = "payments.W".parse().unwrap();
    let hot = s
        .points
        .iter()
        .position(|p| p.value == 1.1 && p.value2 == Some(9.0))
        .unwrap();
    assert!(
        warned_of(&s, hot, "payments"),
        "the run at utilisation 0.978 and 30 s should carry a warning"
    );
    let chart = kendall::report::plots::sweep_heatmap(&m, &s, &figure, &[]).unwrap();
    for (k, cell) in chart.cells.iter().enumerate() {
        if k == hot {
            assert!(
                matches!(cell, HeatCell::Unsettled { value } if *value > 20.0),
                "{cell:?}"
            );
        } else {
            assert!(matches!(cell, HeatCell::Value { .. }), "{k}: {cell:?}");
        }
    }
    let svg = heatmap_svg(&chart).unwrap();
    check_svg(&svg, &["? not settled"]);
    assert_eq!(
        svg.matches(" ?\n</text>").count(),
        1,
        "the unsettled cell's figure"
    );
    let text = kendall::report::sweep_grid_text(&s, &figure, &[]);
    let simulated = text.split("simulated").nth(1).unwrap();
    assert_eq!(simulated.matches(" ?").count(), 1, "{text}");
    assert!(
        text.contains("(? : the simulation did not settle"),
        "{text}"
    );
}

/// The one-parameter sweep table marks the same way: the simulated end-to-end W and
/// p99 of a point whose run did not settle carry "?", settled points do not.
#[test]
fn simulated_sweep_table_flags_figures_that_did_not_settle() {
    // Load 1.22: payments and risk at utilisation 0.976, 30 s is too short to settle.
    let (m, s) = payments_at_30s(vec![0.5, 1.22], None);
    let e2e = "end_to_end:checkout";
    assert!(!warned_of(&s, 0, e2e) && warned_of(&s, 1, e2e));
    let text = kendall::report::sweep_text(&s);
    let row = |v: &str| text.lines().find(|l| l.starts_with(v)).unwrap().to_string();
    assert!(!row("0.5 ").contains('?'), "{text}");
    assert!(row("1.22 ").matches(" ?").count() >= 1, "{text}");
    assert!(
        text.contains("(? : the simulation did not settle"),
        "{text}"
    );
    // The latency-against-load chart draws those figures hollow and says why.
    let chart = kendall::report::plots::sweep_chart(&m, &s);
    let checkout: Vec<_> = chart
        .series
        .iter()
        .filter(|x| x.name.starts_with("checkout end-to-end"))
        .collect();
    assert_eq!(checkout.len(), 2);
    for series in checkout {
        let flags: Vec<bool> = series.simulated.iter().map(|p| p.unsettled).collect();
        assert_eq!(flags, [false, true], "{}", series.name);
    }
    let svg = kendall::report::chart::latency_load_svg(&chart).unwrap();
    assert!(svg.contains("simulation did not settle"), "legend");
    let settled = kendall::report::chart::LatencyLoadChart {
        series: chart
            .series
            .iter()
            .cloned()
            .map(|mut x| {
                x.simulated.truncate(1);
                x
            })
            .collect(),
        ..chart.clone()
    };
    let svg = kendall::report::chart::latency_load_svg(&settled).unwrap();
    assert!(
        !svg.contains("simulation did not settle"),
        "no legend entry"
    );
}

/// A heatmap needs two parameters; its data are checked like every chart's.
#[test]
fn heatmap_errors_name_the_field() {
    use kendall::report::chart::{HeatCell, HeatmapChart, heatmap_svg};
    use kendall::{Model, SweepOptions, sweep};
    let m = Model::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/payments.toml"
    ))
    .unwrap();
    let opts = SweepOptions {
        values: vec![0.5],
        ..SweepOptions::default()
    };
    let s = sweep(&m.validate().unwrap(), &m.simulation, &opts, &|_, _| {}).unwrap();
    let e = kendall::report::plots::sweep_heatmap(&m, &s, &Default::default(), &[]).unwrap_err();
    assert!(e.to_string().contains("--param2"), "{e}");
    let mut chart = HeatmapChart {
        title: "t".into(),
        x_label: "x".into(),
        y_label: "y".into(),
        value_label: "v (ms)".into(),
        x_values: vec![1.0, 2.0],
        y_values: vec![1.0],
        cells: vec![HeatCell::Missing],
        log_scale: true,
        slo_label: None,
        size: None,
    };
    let e = heatmap_svg(&chart).unwrap_err();
    assert!(
        matches!(&e, ChartError::InvalidData { field, .. } if field == "cells"),
        "{e}"
    );
    chart.cells = vec![
        HeatCell::Value {
            value: 0.0,
            slo_met: None,
        },
        HeatCell::Missing,
    ];
    let e = heatmap_svg(&chart).unwrap_err();
    assert!(e.to_string().contains("log_scale = false"), "{e}");
    chart.log_scale = false;
    let svg = heatmap_svg(&chart).unwrap();
    assert!(svg.contains("no figure") && !svg.contains("SLO not met"));
}

/// A load sweep's chart shades where the system has no steady state and names the
/// bottleneck: `single_queue.toml` (M/M/10, 800/s at 10 ms: ρ = 0.8 at load 1) saturates
/// at 1000 messages/s; a consumers sweep shades 8 consumers or fewer.
#[test]
fn sweep_chart_marks_the_unstable_region() {
    use kendall::{Model, SweepOptions, sweep};
    let m = Model::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/single_queue.toml"
    ))
    .unwrap();
    let valid = m.clone().validate().unwrap();
    let opts = SweepOptions {
        values: vec![0.5, 0.9, 1.3],
        ..SweepOptions::default()
    };
    let s = sweep(&valid, &m.simulation, &opts, &|_, _| {}).unwrap();
    let chart = kendall::report::plots::sweep_chart(&m, &s);
    let region = chart.saturation.clone().unwrap();
    assert!((region.from.unwrap() - 1000.0).abs() < 1e-9, "{region:?}");
    assert!((region.to.unwrap() - 1040.0).abs() < 1e-9, "{region:?}");
    assert_eq!(
        region.label,
        "unstable beyond 1000 messages/s: payments at ρ = 1"
    );
    check_svg(&latency_load_svg(&chart).unwrap(), &[&region.label]);
    let opts = SweepOptions {
        parameter: "queue.payments.servers".into(),
        values: vec![7.0, 9.0, 12.0],
        ..SweepOptions::default()
    };
    let s = sweep(&valid, &m.simulation, &opts, &|_, _| {}).unwrap();
    let chart = kendall::report::plots::sweep_chart(&m, &s);
    let region = chart.saturation.clone().unwrap();
    assert_eq!(region.from, Some(7.0));
    assert!((region.to.unwrap() - 8.0).abs() < 1e-9, "{region:?}");
    // A sweep that stays below saturation marks nothing.
    let opts = SweepOptions {
        values: vec![0.5, 0.9],
        ..SweepOptions::default()
    };
    let s = sweep(&valid, &m.simulation, &opts, &|_, _| {}).unwrap();
    assert!(
        kendall::report::plots::sweep_chart(&m, &s)
            .saturation
            .is_none()
    );
    check_svg(
        &latency_load_svg(&chart).unwrap(),
        &["unstable at 8 consumers or fewer: payments at ρ ≥ 1"],
    );
}
