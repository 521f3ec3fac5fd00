use auth_core::sql::RowError;
use auth_core::{ApiKeyError, ToolPatternError};

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
    #[error("{0}")]
    ToolPattern(#[from] ToolPatternError),
    #[error("{0}")]
    Registry(#[from] server_registry::Error),
    /// A policy row the evaluation cannot read (the schema's checks should make this impossible).
    #[error("the policy database holds a row that cannot be read: {0}")]
    Row(#[from] RowError),
    /// A `definitions` row that cannot be read (the schema's checks should make this impossible).
    #[error("the definitions table holds a row that cannot be read: {0}")]
    DefinitionRow(String),
}

impl AdminError {
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Invalid(_) | Self::ApiKey(_) | Self::ToolPattern(_) | Self::Registry(_) => {
                EXIT_USAGE
            }
            Self::Database(_) | Self::Migrate(_) | Self::Row(_) | Self::DefinitionRow(_) => {
                EXIT_UNAVAILABLE
            }
        }
    }
}

pub type Result<T> = std::result::Result<T, AdminError>;
