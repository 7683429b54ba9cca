//! Profiles and where a command's connection settings come from.
//!
//! Precedence, for the base URL and the key alike: a flag (`--base-url`,
//! `--secrets`), then the environment (`CARBON_BASE_URL`; `CARBON_SECRETS_FILE` or
//! `CARBON_CLIENT_ID` + `CARBON_CLIENT_SECRET`), then the profile (`--profile`, else
//! `CARBON_PROFILE`, else the one `carbon profile use` chose, else the one named
//! `default` if it exists), then production
//! (for the URL; a key has no default).
//!
//! Profiles live in `config.toml` in the platform's config directory
//! (`~/.config/carbon` on Linux), or in `$CARBON_CONFIG_DIR`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::failure::{Failure, Outcome};

/// One named connection. What is not set is left out of the file (TOML has no
/// null), and a setting the file leaves out is not set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// The API's base URL.
    pub base_url: Option<String>,
    /// The `secrets.json` with the key.
    pub secrets: Option<PathBuf>,
    /// The Redis through which the key's rate limit is shared across hosts.
    pub rate_limit_redis: Option<String>,
}

/// The config file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigFile {
    /// The profile used when none is named (`carbon profile use`); without it, the
    /// one named `default`.
    pub default_profile: Option<String>,
    /// Profiles by name.
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

/// The directory of the config file (and of files `carbon sim` writes).
pub fn config_dir() -> Outcome<PathBuf> {
    if let Some(dir) = std::env::var_os("CARBON_CONFIG_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    dirs::config_dir()
        .map(|d| d.join("carbon"))
        .ok_or_else(|| Failure::usage("no config directory on this system; set CARBON_CONFIG_DIR"))
}

impl ConfigFile {
    /// The profile a command uses when none is named: the one `carbon profile use`
    /// chose, else the one named `default`, if it exists.
    pub fn default_name(&self) -> Option<&str> {
        [self.default_profile.as_deref(), Some("default")]
            .into_iter()
            .flatten()
            .find(|name| self.profiles.contains_key(*name))
    }

    /// The config file's path.
    pub fn path() -> Outcome<PathBuf> {
        Ok(config_dir()?.join("config.toml"))
    }

    /// Reads the config file (none yet is an empty one).
    pub fn load() -> Outcome<Self> {
        let path = Self::path()?;
        match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text)
                .map_err(|e| Failure::usage(format!("{}: {e}; fix or remove the file", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(Failure::usage(format!("cannot read {}: {e}", path.display()))),
        }
    }

    /// Writes the config file whole or not at all (temp file, then rename),
    /// readable by its owner only (a Redis URL may hold a password).
    pub fn save(&self) -> Outcome<PathBuf> {
        let path = Self::path()?;
        let text = toml::to_string_pretty(self).map_err(|e| Failure::usage(format!("cannot write profiles: {e}")))?;
        write_atomically(&path, text.as_bytes(), true)?;
        Ok(path)
    }
}

/// Writes `contents` to `path` through a temporary file in the same directory, so
/// a reader never sees half a file. `private` makes it readable by its owner only.
pub fn write_atomically(path: &Path, contents: &[u8], private: bool) -> Outcome<()> {
    use carbon_ext::whole_file::{Access, beside};
    use std::io::Write;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let access = if private { Access::Private } else { Access::Shared };
    // Removed on any failure: nothing half-written stays.
    let mut temp = beside(path, access)?;
    temp.write_all(contents)?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Where a setting came from, for `carbon profile show` and error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A command-line flag.
    Flag,
    /// An environment variable.
    Environment,
    /// The profile.
    Profile,
    /// The built-in default.
    Default,
}

/// The key to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    /// A `secrets.json`.
    File(PathBuf),
    /// `CARBON_CLIENT_ID` + `CARBON_CLIENT_SECRET` (or `CARBON_SECRETS_FILE`).
    Environment,
}

/// The connection settings of one command, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// The profile in use, if any.
    pub profile: Option<String>,
    /// The base URL and where it came from.
    pub base_url: (String, Source),
    /// The key and where it came from (`None`: no key anywhere).
    pub key: Option<(Key, Source)>,
    /// The Redis the rate limit is shared through, and where it came from (`None`:
    /// shared on this host only).
    pub rate_limit_redis: Option<(String, Source)>,
}

/// The connection flags of a command.
#[derive(Debug, Clone, Default)]
pub struct Flags {
    /// `--profile`.
    pub profile: Option<String>,
    /// `--base-url`.
    pub base_url: Option<String>,
    /// `--secrets`.
    pub secrets: Option<PathBuf>,
    /// `--no-shared-limit`: keep to the rate limit alone instead of sharing it with
    /// the other processes of the key (on this host, or through Redis).
    pub no_shared_limit: bool,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Connection {
    /// Resolves flags, environment and profile, in that order.
    pub fn resolve(flags: &Flags, config: &ConfigFile) -> Outcome<Self> {
        let (profile_name, explicit) = match flags.profile.clone().or_else(|| env("CARBON_PROFILE")) {
            Some(name) => (Some(name), true),
            None => (config.default_name().map(str::to_string), false),
        };
        let profile = match &profile_name {
            Some(name) => match config.profiles.get(name) {
                Some(profile) => profile.clone(),
                None if explicit => {
                    let known: Vec<&str> = config.profiles.keys().map(String::as_str).collect();
                    return Err(Failure::usage(format!(
                        "no profile `{name}` (known: {}); create it with `carbon profile set {name} --base-url URL --secrets FILE`",
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            known.join(", ")
                        }
                    )));
                }
                None => Profile::default(),
            },
            None => Profile::default(),
        };
        let base_url = if let Some(url) = &flags.base_url {
            (url.clone(), Source::Flag)
        } else if let Some(url) = env(carbon_ext::BASE_URL_VAR) {
            (url, Source::Environment)
        } else if let Some(url) = &profile.base_url {
            (url.clone(), Source::Profile)
        } else {
            (
                carbon_ext::Environment::Production.base_url().to_string(),
                Source::Default,
            )
        };
        let key = if let Some(path) = &flags.secrets {
            Some((Key::File(path.clone()), Source::Flag))
        } else if carbon_ext::auth::ApiKey::is_in_env() {
            Some((Key::Environment, Source::Environment))
        } else {
            profile.secrets.clone().map(|path| (Key::File(path), Source::Profile))
        };
        let rate_limit_redis = match env(carbon_ext::REDIS_URL_VAR) {
            Some(url) => Some((url.trim().to_string(), Source::Environment)),
            None => profile.rate_limit_redis.clone().map(|url| (url, Source::Profile)),
        };
        Ok(Self {
            profile: profile_name,
            base_url,
            key,
            rate_limit_redis,
        })
    }

    /// The API key these settings name, loaded and checked.
    pub fn api_key(&self) -> Outcome<carbon_ext::auth::ApiKey> {
        let key = match &self.key {
            Some((Key::File(path), _)) => carbon_ext::auth::ApiKey::from_file(path),
            Some((Key::Environment, _)) => carbon_ext::auth::ApiKey::from_env(),
            None => {
                return Err(Failure::usage(
                    "no API key: give --secrets FILE, set CARBON_SECRETS_FILE (or CARBON_CLIENT_ID and \
                     CARBON_CLIENT_SECRET), or use a profile (`carbon profile set NAME --secrets FILE`)",
                ));
            }
        };
        Ok(key.map_err(carbon_ext::Error::from)?)
    }

    /// A client for these settings: the rate limit shared with the other clients
    /// of the key (through Redis when one is set, else on this host) unless
    /// `shared_limit` is off; `CARBON_RATE_LIMIT` (`N/DURATION`, e.g. `200/10s`)
    /// sets a limit other than the API's.
    pub fn client(&self, shared_limit: bool) -> Outcome<carbon_ext::Client> {
        let sharing = match &self.rate_limit_redis {
            _ if !shared_limit => carbon_ext::LimitSharing::Process,
            // Checked before the key is read: a setting that cannot work says so first.
            Some((url, source)) => {
                let url = carbon_ext::RedisUrl::new(url.clone()).map_err(|e| {
                    let from = match source {
                        Source::Environment => carbon_ext::REDIS_URL_VAR.to_string(),
                        _ => "the profile (carbon profile set NAME --rate-limit-redis URL)".to_string(),
                    };
                    Failure::usage(format!("{e}; it comes from {from}"))
                })?;
                carbon_ext::LimitSharing::Redis(url)
            }
            None => carbon_ext::LimitSharing::Host,
        };
        let mut builder = carbon_ext::Client::builder()
            .base_url(&self.base_url.0)
            .user_agent_suffix(format!("carbon-cli/{}", env!("CARGO_PKG_VERSION")))
            .limit_sharing(sharing);
        if let Some(text) = env(RATE_LIMIT_VAR) {
            builder = builder.rate_limit(parse_rate_limit(&text).map_err(Failure::usage)?);
        }
        Ok(builder.api_key(self.api_key()?).build()?)
    }
}

/// The environment variable for a rate limit other than the API's.
pub const RATE_LIMIT_VAR: &str = "CARBON_RATE_LIMIT";

/// `200/10s`: requests per window.
fn parse_rate_limit(text: &str) -> Result<carbon_ext::RateLimit, String> {
    let bad = |why: String| format!("{RATE_LIMIT_VAR}=`{text}`: {why}; give requests per window, such as 200/10s");
    let (requests, window) = text.split_once('/').ok_or_else(|| bad("no `/`".into()))?;
    let requests: u32 = requests
        .trim()
        .parse()
        .map_err(|_| bad("not a number of requests".into()))?;
    let window = crate::when::parse_duration(window).map_err(bad)?;
    Ok(carbon_ext::RateLimit::new(requests, window))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_not_set_is_left_out_of_the_file_and_back() {
        let mut config = ConfigFile::default();
        config.profiles.insert(
            "sim".into(),
            Profile {
                base_url: Some("http://127.0.0.1:8080/v1".into()),
                ..Profile::default()
            },
        );
        let text = toml::to_string_pretty(&config).unwrap();
        assert!(
            !text.contains("secrets") && !text.contains("default_profile") && !text.contains("rate_limit_redis"),
            "{text}"
        );
        assert_eq!(toml::from_str::<ConfigFile>(&text).unwrap(), config);
        // A file of an earlier version, or written by hand, with less in it.
        assert_eq!(toml::from_str::<ConfigFile>("").unwrap(), ConfigFile::default());
        let bare: ConfigFile = toml::from_str("[profiles.x]\n").unwrap();
        assert_eq!(bare.profiles["x"], Profile::default());
    }
}
