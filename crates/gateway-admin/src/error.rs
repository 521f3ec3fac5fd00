use auth_core::ApiKeyError;

/// Exit status for bad input (sysexits EX_USAGE).
pub const EXIT_USAGE: u8 = 64;
/// Exit status when the database cannot be used (sysexits EX_UNAVAILABLE).
pub const EXIT_UNAVAILABLE: u8 = 69;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The request itself is wrong; nothing was changed.
    #[error("{0}")]
    Invalid(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0}")]
    ApiKey(#[from] ApiKeyError),
}

impl AdminError {
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Invalid(_) | Self::ApiKey(_) => EXIT_USAGE,
            Self::Database(_) | Self::Migrate(_) => EXIT_UNAVAILABLE,
        }
    }
}

pub type Result<T> = std::result::Result<T, AdminError>;
