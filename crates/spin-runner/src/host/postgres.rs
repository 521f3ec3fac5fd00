//! `spin:postgres/postgres@4.0.0` over tokio-postgres, pooled per connection string like Spin
//! (deadpool, 64 connections a pool). The connection string's hosts must be allowed by the
//! component's `allowed_outbound_hosts` (`postgres://host:port`). Supported value types: the
//! scalar ones, uuid, jsonb, decimal, date/time, and int/str arrays; ranges, intervals and
//! decimal arrays are reported as unsupported.

// The error type is spin:postgres's own WIT variant, handed to the guest as it is.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Mutex;

use bytes::BytesMut;
use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use tokio_postgres::Row;
use tokio_postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use wasmtime::component::Resource;

use super::HostState;
use crate::bindings::spin::postgres4_0_0::postgres::{
    Column, DbDataType, DbValue, Error, Host, HostConnection, ParameterValue, QueryError, RowSet,
};

const POOL_SIZE: usize = 64;

/// The host side of a `connection` resource: one pooled client.
pub struct ConnectionHandle(Object);

/// Connection pools by connection string.
#[derive(Default)]
pub struct PgPools(Mutex<HashMap<String, Pool>>);

impl PgPools {
    fn pool(&self, address: &str, config: tokio_postgres::Config) -> Result<Pool, Error> {
        let mut pools = self.0.lock().expect("pg pools lock");
        if let Some(pool) = pools.get(address) {
            return Ok(pool.clone());
        }
        let tls = native_tls::TlsConnector::new()
            .map_err(|err| Error::ConnectionFailed(format!("TLS setup: {err}")))?;
        let manager = Manager::from_config(
            config,
            postgres_native_tls::MakeTlsConnector::new(tls),
            ManagerConfig {
                recycling_method: RecyclingMethod::Clean,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .build()
            .map_err(|err| Error::ConnectionFailed(err.to_string()))?;
        pools.insert(address.to_string(), pool.clone());
        Ok(pool)
    }
}

impl HostState {
    fn check_pg_address(&self, config: &tokio_postgres::Config) -> Result<(), Error> {
        let ports = config.get_ports();
        for (i, host) in config.get_hosts().iter().enumerate() {
            let tokio_postgres::config::Host::Tcp(host) = host else {
                return Err(Error::ConnectionFailed(
                    "unix socket connections are not permitted".into(),
                ));
            };
            let port = ports.get(i).or(ports.first()).copied().unwrap_or(5432);
            if !self
                .component
                .allowed_hosts
                .allows_address("postgres", host, port)
            {
                tracing::error!(
                    "Outbound network destination not allowed: postgres://{host}:{port} (component {})",
                    self.component.id
                );
                return Err(Error::ConnectionFailed(format!(
                    "address postgres://{host}:{port} is not permitted"
                )));
            }
        }
        Ok(())
    }

    fn client(&self, handle: &Resource<ConnectionHandle>) -> wasmtime::Result<&Object> {
        Ok(&self.table.get(handle)?.0)
    }
}

impl Host for HostState {}

impl HostConnection for HostState {
    async fn open(
        &mut self,
        address: String,
    ) -> wasmtime::Result<Result<Resource<ConnectionHandle>, Error>> {
        let config = match tokio_postgres::Config::from_str(&address) {
            Ok(config) => config,
            Err(err) => {
                return Ok(Err(Error::ConnectionFailed(format!(
                    "invalid connection string: {err}"
                ))));
            }
        };
        if let Err(err) = self.check_pg_address(&config) {
            return Ok(Err(err));
        }
        let pool = match self.runtime.pg_pools.pool(&address, config) {
            Ok(pool) => pool,
            Err(err) => return Ok(Err(err)),
        };
        match pool.get().await {
            Ok(client) => Ok(Ok(self.table.push(ConnectionHandle(client))?)),
            Err(err) => Ok(Err(Error::ConnectionFailed(describe(&err)))),
        }
    }

    async fn query(
        &mut self,
        connection: Resource<ConnectionHandle>,
        statement: String,
        params: Vec<ParameterValue>,
    ) -> wasmtime::Result<Result<RowSet, Error>> {
        let params = match to_sql_params(&params) {
            Ok(params) => params,
            Err(err) => return Ok(Err(err)),
        };
        let refs: Vec<&(dyn ToSql + Sync)> = params
            .iter()
            .map(|p| p.as_ref() as &(dyn ToSql + Sync))
            .collect();
        let client = self.client(&connection)?;
        let statement = match client.prepare_cached(&statement).await {
            Ok(statement) => statement,
            Err(err) => return Ok(Err(query_failed(err))),
        };
        let rows = match client.query(&statement, &refs).await {
            Ok(rows) => rows,
            Err(err) => return Ok(Err(query_failed(err))),
        };
        let columns = statement
            .columns()
            .iter()
            .map(|c| Column {
                name: c.name().to_string(),
                data_type: data_type(c.type_()),
            })
            .collect();
        Ok(rows
            .iter()
            .map(convert_row)
            .collect::<Result<_, _>>()
            .map(|rows| RowSet { columns, rows }))
    }

    async fn execute(
        &mut self,
        connection: Resource<ConnectionHandle>,
        statement: String,
        params: Vec<ParameterValue>,
    ) -> wasmtime::Result<Result<u64, Error>> {
        let params = match to_sql_params(&params) {
            Ok(params) => params,
            Err(err) => return Ok(Err(err)),
        };
        let refs: Vec<&(dyn ToSql + Sync)> = params
            .iter()
            .map(|p| p.as_ref() as &(dyn ToSql + Sync))
            .collect();
        let client = self.client(&connection)?;
        Ok(client
            .execute(&statement, &refs)
            .await
            .map_err(query_failed))
    }

    async fn drop(&mut self, connection: Resource<ConnectionHandle>) -> wasmtime::Result<()> {
        self.table.delete(connection)?;
        Ok(())
    }
}

fn describe(err: &dyn std::error::Error) -> String {
    match err.source() {
        Some(source) => format!("{err}: {source}"),
        None => err.to_string(),
    }
}

fn query_failed(err: tokio_postgres::Error) -> Error {
    match err.as_db_error() {
        Some(db) => Error::QueryFailed(QueryError::DbError(
            crate::bindings::spin::postgres4_0_0::postgres::DbError {
                as_text: err.to_string(),
                severity: db.severity().to_string(),
                code: db.code().code().to_string(),
                message: db.message().to_string(),
                detail: db.detail().map(str::to_string),
                extras: Vec::new(),
            },
        )),
        None => Error::QueryFailed(QueryError::Text(describe(&err))),
    }
}

/// SQL NULL for a parameter of any type.
#[derive(Debug)]
struct PgNull;

impl ToSql for PgNull {
    fn to_sql(
        &self,
        _: &Type,
        _: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        Ok(IsNull::Yes)
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

type Param = Box<dyn ToSql + Sync + Send>;

fn to_sql_params(params: &[ParameterValue]) -> Result<Vec<Param>, Error> {
    params.iter().map(to_sql).collect()
}

fn bad(what: &str) -> Error {
    Error::BadParameter(what.to_string())
}

fn to_sql(value: &ParameterValue) -> Result<Param, Error> {
    Ok(match value {
        ParameterValue::Boolean(v) => Box::new(*v),
        ParameterValue::Int8(v) => Box::new(*v),
        ParameterValue::Int16(v) => Box::new(*v),
        ParameterValue::Int32(v) => Box::new(*v),
        ParameterValue::Int64(v) => Box::new(*v),
        ParameterValue::Floating32(v) => Box::new(*v),
        ParameterValue::Floating64(v) => Box::new(*v),
        ParameterValue::Str(v) => Box::new(v.clone()),
        ParameterValue::Binary(v) => Box::new(v.clone()),
        ParameterValue::Date((y, m, d)) => Box::new(date(*y, *m, *d)?),
        ParameterValue::Time((h, m, s, ns)) => Box::new(time(*h, *m, *s, *ns)?),
        ParameterValue::Datetime((y, mo, d, h, mi, s, ns)) => Box::new(NaiveDateTime::new(
            date(*y, *mo, *d)?,
            time(*h, *mi, *s, *ns)?,
        )),
        ParameterValue::Timestamp(secs) => Box::new(
            chrono::DateTime::from_timestamp(*secs, 0)
                .ok_or_else(|| bad("timestamp out of range"))?,
        ),
        ParameterValue::Uuid(v) => {
            Box::new(uuid::Uuid::parse_str(v).map_err(|e| bad(&e.to_string()))?)
        }
        ParameterValue::Jsonb(v) => Box::new(
            serde_json::from_slice::<serde_json::Value>(v)
                .map_err(|e| bad(&format!("invalid jsonb: {e}")))?,
        ),
        ParameterValue::Decimal(v) => {
            Box::new(rust_decimal::Decimal::from_str(v).map_err(|e| bad(&e.to_string()))?)
        }
        ParameterValue::ArrayInt32(v) => Box::new(v.clone()),
        ParameterValue::ArrayInt64(v) => Box::new(v.clone()),
        ParameterValue::ArrayStr(v) => Box::new(v.clone()),
        ParameterValue::DbNull => Box::new(PgNull),
        ParameterValue::RangeInt32(_)
        | ParameterValue::RangeInt64(_)
        | ParameterValue::RangeDecimal(_)
        | ParameterValue::ArrayDecimal(_)
        | ParameterValue::Interval(_) => {
            return Err(bad("this parameter type is not supported by spin-runner"));
        }
    })
}

fn date(y: i32, m: u8, d: u8) -> Result<NaiveDate, Error> {
    NaiveDate::from_ymd_opt(y, m.into(), d.into()).ok_or_else(|| bad("invalid date"))
}

fn time(h: u8, m: u8, s: u8, ns: u32) -> Result<NaiveTime, Error> {
    NaiveTime::from_hms_nano_opt(h.into(), m.into(), s.into(), ns)
        .ok_or_else(|| bad("invalid time"))
}

fn data_type(ty: &Type) -> DbDataType {
    match *ty {
        Type::BOOL => DbDataType::Boolean,
        Type::BYTEA => DbDataType::Binary,
        Type::FLOAT4 => DbDataType::Floating32,
        Type::FLOAT8 => DbDataType::Floating64,
        Type::INT2 => DbDataType::Int16,
        Type::INT4 => DbDataType::Int32,
        Type::INT8 => DbDataType::Int64,
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => DbDataType::Str,
        Type::TIMESTAMP | Type::TIMESTAMPTZ => DbDataType::Datetime,
        Type::DATE => DbDataType::Date,
        Type::TIME => DbDataType::Time,
        Type::UUID => DbDataType::Uuid,
        Type::JSONB => DbDataType::Jsonb,
        Type::NUMERIC => DbDataType::Decimal,
        Type::INT4_ARRAY => DbDataType::ArrayInt32,
        Type::INT8_ARRAY => DbDataType::ArrayInt64,
        Type::TEXT_ARRAY | Type::VARCHAR_ARRAY | Type::BPCHAR_ARRAY => DbDataType::ArrayStr,
        ref other => DbDataType::Other(other.name().to_string()),
    }
}

fn convert_row(row: &Row) -> Result<Vec<DbValue>, Error> {
    (0..row.len()).map(|i| convert_value(row, i)).collect()
}

fn get<'a, T: tokio_postgres::types::FromSql<'a>>(
    row: &'a Row,
    i: usize,
) -> Result<Option<T>, Error> {
    row.try_get::<_, Option<T>>(i)
        .map_err(|err| Error::ValueConversionFailed(describe(&err)))
}

fn or_null<T>(value: Option<T>, f: impl FnOnce(T) -> DbValue) -> DbValue {
    value.map_or(DbValue::DbNull, f)
}

fn datetime_value(dt: NaiveDateTime) -> DbValue {
    DbValue::Datetime((
        dt.year(),
        dt.month() as u8,
        dt.day() as u8,
        dt.hour() as u8,
        dt.minute() as u8,
        dt.second() as u8,
        dt.nanosecond(),
    ))
}

fn convert_value(row: &Row, i: usize) -> Result<DbValue, Error> {
    let ty = row.columns()[i].type_().clone();
    Ok(match ty {
        Type::BOOL => or_null(get(row, i)?, DbValue::Boolean),
        Type::BYTEA => or_null(get(row, i)?, DbValue::Binary),
        Type::FLOAT4 => or_null(get(row, i)?, DbValue::Floating32),
        Type::FLOAT8 => or_null(get(row, i)?, DbValue::Floating64),
        Type::INT2 => or_null(get(row, i)?, DbValue::Int16),
        Type::INT4 => or_null(get(row, i)?, DbValue::Int32),
        Type::INT8 => or_null(get(row, i)?, DbValue::Int64),
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => {
            or_null(get(row, i)?, DbValue::Str)
        }
        Type::TIMESTAMP => or_null(get::<NaiveDateTime>(row, i)?, datetime_value),
        Type::TIMESTAMPTZ => or_null(get::<chrono::DateTime<chrono::Utc>>(row, i)?, |dt| {
            datetime_value(dt.naive_utc())
        }),
        Type::DATE => or_null(get::<NaiveDate>(row, i)?, |d| {
            DbValue::Date((d.year(), d.month() as u8, d.day() as u8))
        }),
        Type::TIME => or_null(get::<NaiveTime>(row, i)?, |t| {
            DbValue::Time((
                t.hour() as u8,
                t.minute() as u8,
                t.second() as u8,
                t.nanosecond(),
            ))
        }),
        Type::UUID => or_null(get::<uuid::Uuid>(row, i)?, |u| DbValue::Uuid(u.to_string())),
        Type::JSONB => match get::<serde_json::Value>(row, i)? {
            Some(v) => DbValue::Jsonb(
                serde_json::to_vec(&v).map_err(|e| Error::ValueConversionFailed(e.to_string()))?,
            ),
            None => DbValue::DbNull,
        },
        Type::NUMERIC => or_null(get::<rust_decimal::Decimal>(row, i)?, |d| {
            DbValue::Decimal(d.to_string())
        }),
        Type::INT4_ARRAY => or_null(get(row, i)?, DbValue::ArrayInt32),
        Type::INT8_ARRAY => or_null(get(row, i)?, DbValue::ArrayInt64),
        Type::TEXT_ARRAY | Type::VARCHAR_ARRAY | Type::BPCHAR_ARRAY => {
            or_null(get(row, i)?, DbValue::ArrayStr)
        }
        _ => DbValue::Unsupported(Vec::new()),
    })
}
