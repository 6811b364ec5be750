//! The work of the `…Async` methods, run on libuv worker threads (`napi::Task`). Each computes a
//! core result off the JS thread and converts it (or its error) back on the JS thread.

use crate::engine::{Engine, EngineConfig, open_core};
use crate::errors;
use crate::objects::Release;
use napi::Env;
use napi::bindgen_prelude::Task;
use std::sync::Arc;

/// `Engine.openAsync`.
pub struct OpenTask {
    url: String,
    config: Option<EngineConfig>,
}

impl OpenTask {
    pub fn new(url: String, config: EngineConfig) -> Self {
        OpenTask { url, config: Some(config) }
    }
}

impl Task for OpenTask {
    type Output = trainyard::Result<trainyard::Engine>;
    type JsValue = Engine;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let config = self.config.take().unwrap_or(EngineConfig { clock: None });
        Ok(open_core(&self.url, config))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Engine> {
        Engine::wrap(&env, errors::map(&env, output)?)
    }
}

/// `tickAsync` (`max_steps: None`) and `runUntilIdleAsync`.
pub struct TickTask {
    pub engine: Arc<trainyard::Engine>,
    pub max_steps: Option<usize>,
}

impl Task for TickTask {
    type Output = trainyard::Result<usize>;
    type JsValue = u32;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(match self.max_steps {
            None => self.engine.tick(),
            Some(max) => self.engine.run_until_idle(max),
        })
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<u32> {
        errors::map(&env, output).map(|n| n as u32)
    }
}

/// `getReleaseAsync`.
pub struct GetReleaseTask {
    pub engine: Arc<trainyard::Engine>,
    pub id: String,
}

impl Task for GetReleaseTask {
    type Output = trainyard::Result<trainyard::release::ReleaseState>;
    type JsValue = Release;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(self.engine.get_release(&self.id))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Release> {
        errors::map(&env, output).map(|s| Release::from(&s))
    }
}

/// `listReleasesAsync`.
pub struct ListReleasesTask {
    pub engine: Arc<trainyard::Engine>,
    pub filter: trainyard::ReleaseFilter,
}

impl Task for ListReleasesTask {
    type Output = trainyard::Result<Vec<trainyard::release::ReleaseState>>;
    type JsValue = Vec<Release>;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(self.engine.list_releases(&self.filter))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Vec<Release>> {
        errors::map(&env, output).map(|list| list.iter().map(Release::from).collect())
    }
}
