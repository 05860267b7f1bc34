//! The `kendall` command line: `solve` and `simulate` a scenario file.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use kendall::analytic::solve::solve;
use kendall::model::Model;
use kendall::report::{solution_table, solution_text};
use std::path::PathBuf;

/// Queueing-theory capacity modelling for message queues and event buses.
#[derive(Parser)]
#[command(name = "kendall", version, about, long_about = None)]
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

#[derive(Subcommand)]
enum Command {
    /// Solve every queue of a scenario analytically, labelling each figure with its method.
    Solve {
        /// Scenario file (.toml or .json).
        scenario: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

fn load(path: &PathBuf) -> Result<Model> {
    Model::load(path).with_context(|| format!("loading {}", path.display()))
}

fn main() -> std::process::ExitCode {
    match run(Cli::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Solve { scenario, format } => {
            let model = load(&scenario)?;
            let solution = solve(&model)?;
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&solution)?),
                Format::Csv => print!("{}", solution_table(&solution).to_csv()),
                Format::Table => {
                    if let Some(name) = &solution.model {
                        println!("{name}: analytic solution\n");
                    }
                    print!("{}", solution_text(&solution));
                }
            }
        }
    }
    Ok(())
}
