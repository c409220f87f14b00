// Small node-addon-api helpers: status checks that leave a JS exception pending instead of
// aborting, and TypeError/RangeError throwers that name the argument and what was received.
//
// Built without C++ exceptions (NODE_ADDON_API_DISABLE_CPP_EXCEPTIONS): every helper returns
// false with a JS exception pending, and the entry point returns an empty Napi::Value. With
// NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS, throwing while a Worker's env shuts down is dropped
// instead of ending in napi_fatal_error. Node-addon-api calls that throw a generic error on a
// wrong type (Napi::Number::DoubleValue, Napi::TypedArrayOf's constructor, ...) are never
// reached with an unchecked value: the hot reads take the C call on the Napi::Value and check
// its status (one crossing where the Napi:: form costs two, see typed-array.cc, numbers.cc).
#ifndef RINGCACHE_BINDING_NAPI_UTIL_H_
#define RINGCACHE_BINDING_NAPI_UTIL_H_

#include <napi.h>

#include <cstddef>
#include <cstdint>

namespace ringcache {
namespace binding {

/**
 * True when `status` is napi_ok. Otherwise makes sure an exception is pending (keeping one a
 * getter or the engine already raised) and returns false; the caller returns an empty value.
 */
bool Check(Napi::Env env, napi_status status);

/** Short name of a value's type for messages: "undefined", "number", "Int32Array", "Array", ... */
const char* Describe(Napi::Value value);

/**
 * Argument name for messages: `name` alone, or `name[index]` when index >= 0.
 * Formatting happens only when a message is built (the error path).
 */
struct ArgName {
  const char* name;
  ptrdiff_t index = -1;
};

/** Throws `TypeError("<arg> must be <expected> (received <type of value>)")`; returns false. */
bool ThrowTypeError(Napi::Env env, ArgName arg, const char* expected, Napi::Value value);
/** Throws `TypeError("<arg> <problem>")` with code ERR_INVALID_ARG_TYPE; returns false. */
bool ThrowTypeProblem(Napi::Env env, ArgName arg, const char* problem);
/** Throws `RangeError("<arg> <problem>")` with code ERR_OUT_OF_RANGE; returns false. */
bool ThrowRangeError(Napi::Env env, ArgName arg, const char* problem);
/**
 * A uint32 / int32 result (nullptr with an exception pending). The C calls: in the A/B
 * (scripts/ab-binding.mjs) Napi::Number::New, a double, left single-key calls 2-5% slower.
 */
napi_value Uint32Result(Napi::Env env, uint32_t value);
napi_value Int32Result(Napi::Env env, int32_t value);

/** Throws `Error(message)` with `code` (null for none); returns false. */
bool ThrowError(Napi::Env env, const char* code, const char* message);

/**
 * The arguments of an entry point: exactly `N` (missing ones are `undefined`) read by one
 * napi_get_cb_info into a stack array, each seen as a Napi::Value. Napi::CallbackInfo reads six
 * plus `this` and `data` (10-25 ns more per single-key call, measured with
 * scripts/ab-binding.mjs) and heap-allocates its array past six arguments.
 */
template <size_t N>
struct Args {
  Args(napi_env raw_env, napi_callback_info info) : env(raw_env) {
    size_t argc = N;
    ok = Check(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  }
  Napi::Value operator[](size_t i) const { return Napi::Value(env, argv[i]); }

  Napi::Env env;
  bool ok;  // false with an exception pending
  napi_value argv[N];
};

}  // namespace binding
}  // namespace ringcache

#endif  // RINGCACHE_BINDING_NAPI_UTIL_H_
