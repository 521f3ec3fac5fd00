//! Spin component: catalog
