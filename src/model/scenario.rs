//! Reading and writing scenario files (TOML or JSON, same field names).

use super::{Model, ModelError, Problems};
use std::path::{Path, PathBuf};

impl Model {
    /// Parses a TOML scenario and validates it. Unknown fields are errors.
    ///
    /// # Errors
    /// [`ModelError::Parse`] for malformed text or unknown fields (with line and field),
    /// [`ModelError::Invalid`] for a well-formed but invalid model.
    ///
    /// # Example
    /// ```
    /// use kendall::model::Model;
    /// let m = Model::from_toml_str(r#"
    ///     [[source]]
    ///     name = "in"
    ///     arrival = { type = "poisson", rate = 5.0 }
    ///     to = "q"
    ///     [[queue]]
    ///     name = "q"
    ///     servers = 1
    ///     service = { type = "exponential", mean = "100ms" }
    /// "#).unwrap();
    /// assert_eq!(m.queues[0].service.mean(), 0.1);
    /// ```
    pub fn from_toml_str(text: &str) -> Result<Model, ModelError> {
        Self::parse(text, "TOML", Path::new("<string>"))
    }

    /// Parses a JSON scenario and validates it. Unknown fields are errors.
    ///
    /// # Errors
    /// As [`Model::from_toml_str`].
    pub fn from_json_str(text: &str) -> Result<Model, ModelError> {
        Self::parse(text, "JSON", Path::new("<string>"))
    }

    /// Reads a scenario file (`.toml` or `.json`), validates it, and makes trace file
    /// paths relative to the scenario's folder.
    ///
    /// # Errors
    /// [`ModelError::Io`], [`ModelError::UnknownFormat`], [`ModelError::Parse`] or
    /// [`ModelError::Invalid`].
    pub fn load(path: impl AsRef<Path>) -> Result<Model, ModelError> {
        let path = path.as_ref();
        let format = match path.extension().and_then(|e| e.to_str()) {
            Some("toml") => "TOML",
            Some("json") => "JSON",
            _ => {
                return Err(ModelError::UnknownFormat {
                    path: path.to_path_buf(),
                });
            }
        };
        let text = std::fs::read_to_string(path).map_err(|source| ModelError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mut model = Self::parse(&text, format, path)?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        for s in &mut model.sources {
            if let super::ArrivalProcess::Trace { file } = &mut s.arrival
                && file.is_relative()
            {
                *file = base.join(&*file);
            }
        }
        Ok(model)
    }

    fn parse(text: &str, format: &'static str, path: &Path) -> Result<Model, ModelError> {
        let parsed: Result<Model, String> = match format {
            "TOML" => toml::from_str(text).map_err(|e| e.to_string()),
            _ => serde_json::from_str(text).map_err(|e| e.to_string()),
        };
        let model = parsed.map_err(|message| ModelError::Parse {
            path: PathBuf::from(path),
            format,
            message: message.trim_end().to_string(),
        })?;
        let mut problems = Vec::new();
        model.simulation.check(&mut problems);
        if let Err(e) = model.validate() {
            problems.extend(e.problems().iter().cloned());
        }
        if problems.is_empty() {
            Ok(model)
        } else {
            Err(ModelError::Invalid(Problems(problems)))
        }
    }

    /// The model as a TOML scenario.
    ///
    /// # Errors
    /// Only if a value cannot be represented in TOML (e.g. a non-finite number).
    pub fn to_toml_string(&self) -> Result<String, toml::ser::Error> {
        toml::to_string_pretty(self)
    }
}
