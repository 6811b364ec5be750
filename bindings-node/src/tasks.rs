//! Every call that can touch the store exists twice: `name(…)` runs on the JS thread, and
//! `nameAsync(…)` runs the same core call on a libuv worker thread and returns a Promise (the
//! result is serialized there too; only the final `JSON.parse` runs on the JS thread). Both read
//! their arguments on the JS thread with the same rules; an argument error throws from the
//! synchronous form and rejects the Promise of the async one, with the same coded `Error`.
//!
//! [`calls!`] declares such a pair from one body, which reads the arguments and returns a [`Call`]:
//! the work to do with the core engine.

use crate::errors;
use crate::views::{Js, Reply};
use napi::Env;
use napi::bindgen_prelude::Task;
use std::sync::Arc;

/// The work of one call: what to do with the core engine, giving what to return.
pub type Call = Box<dyn FnOnce(&trainyard::Engine) -> trainyard::Result<Reply> + Send>;

/// A call run on a worker thread (`compute`), its reply made on the JS thread (`resolve`); a core
/// error, or an argument error found before, rejects the Promise with the usual `Error`.
pub struct Work {
    job: Option<trainyard::Result<(Arc<trainyard::Engine>, Call)>>,
}

impl Work {
    /// The work of `call` on `engine` (either may already be an error).
    pub fn new(engine: trainyard::Result<Arc<trainyard::Engine>>, call: trainyard::Result<Call>) -> Self {
        Work { job: Some(engine.and_then(|e| call.map(|c| (e, c)))) }
    }
}

impl Task for Work {
    type Output = trainyard::Result<Reply>;
    type JsValue = Js;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        match self.job.take() {
            Some(Ok((engine, call))) => std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || call(&engine)))
                .map_err(|_| {
                    napi::Error::from_reason("trainyard panicked in a worker thread (a bug: please report it)")
                }),
            Some(Err(e)) => Ok(Err(e)),
            None => Err(napi::Error::from_reason("the task already ran")),
        }
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Js> {
        let reply = errors::map(&env, output)?;
        reply(&env).map(Js)
    }
}

/// Declares pairs of Engine methods (the invoking module imports `Engine`, `Env`, `Unknown` and
/// `AsyncTask`, which napi's macro needs by their plain names) (`name` and `nameAsync`) from one body each. The body gets
/// the argument reader (`cx`) and the raw arguments, reads them, and returns
/// `trainyard::Result<Call>`; `?` on `cx.finish()` turns argument problems into the error.
macro_rules! calls {
    ($(
        $(#[doc = $doc:literal])*
        #[ts($args:literal, $ret:literal, $promise:literal)]
        fn $sync:ident / $async_:ident(&$this:ident, $cx:ident $(, $arg:ident)*) $body:block
    )*) => {
        #[napi_derive::napi]
        impl Engine {
            $(
                $(#[doc = $doc])*
                #[napi(catch_unwind, ts_args_type = $args, ts_return_type = $ret)]
                pub fn $sync(
                    &$this,
                    env: Env
                    $(, $arg: Unknown)*
                ) -> napi::Result<$crate::views::Js> {
                    let mut cx = $crate::convert::Cx::new(&env);
                    #[allow(unused_mut)]
                    let call = (|$cx: &mut $crate::convert::Cx| -> trainyard::Result<$crate::tasks::Call> { $body })(&mut cx);
                    $this.run_now(&env, call)
                }

                #[doc = "The same, run off the JS thread: returns a Promise (an argument error rejects it)."]
                #[napi(catch_unwind, ts_args_type = $args, ts_return_type = $promise)]
                pub fn $async_(
                    &$this,
                    env: Env
                    $(, $arg: Unknown)*
                ) -> AsyncTask<$crate::tasks::Work> {
                    let mut cx = $crate::convert::Cx::new(&env);
                    let call = (|$cx: &mut $crate::convert::Cx| -> trainyard::Result<$crate::tasks::Call> { $body })(&mut cx);
                    $this.run_later(call)
                }
            )*
        }
    };
}
pub(crate) use calls;

/// A [`Call`] from a closure.
pub fn call(
    f: impl FnOnce(&trainyard::Engine) -> trainyard::Result<Reply> + Send + 'static,
) -> trainyard::Result<Call> {
    Ok(Box::new(f))
}
