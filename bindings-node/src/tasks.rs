//! The work of the `…Async` methods, run on libuv worker threads (`napi::Task`). Each computes a
//! core result off the JS thread and converts it (or its error) back on the JS thread.

use crate::engine::{Engine, EngineConfig, open_core};
use crate::errors;
use napi::Env;
use napi::bindgen_prelude::{Task, ToNapiValue, TypeName};

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
        let config = self.config.take().unwrap_or_default();
        Ok(open_core(&self.url, config))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Engine> {
        Engine::wrap(&env, errors::map(&env, output)?)
    }
}

/// A core call run on a worker thread (`run`), its result converted on the JS thread (`convert`);
/// a core error rejects the Promise with the usual `Error` (`code`, `problems`).
pub struct Work<T: Send + 'static, J> {
    run: Option<Box<dyn FnOnce() -> trainyard::Result<T> + Send>>,
    convert: fn(T) -> J,
}

impl<T: Send + 'static, J> Work<T, J> {
    pub fn new(run: impl FnOnce() -> trainyard::Result<T> + Send + 'static, convert: fn(T) -> J) -> Self {
        Work { run: Some(Box::new(run)), convert }
    }
}

impl<T: Send + 'static, J: ToNapiValue + TypeName> Task for Work<T, J> {
    type Output = trainyard::Result<T>;
    type JsValue = J;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let run = self.run.take().ok_or_else(|| napi::Error::from_reason("the task already ran"))?;
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(run))
            .map_err(|_| napi::Error::from_reason("trainyard panicked in a worker thread (a bug: please report it)"))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<J> {
        errors::map(&env, output).map(self.convert)
    }
}
