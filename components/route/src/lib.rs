//! Spin component: route
