// Small Node-API helpers: status checks that leave a JS exception pending instead of aborting,
// and TypeError/RangeError throwers that name the argument and what was received.
#ifndef RINGCACHE_BINDING_NAPI_UTIL_H_
#define RINGCACHE_BINDING_NAPI_UTIL_H_

#include <node_api.h>

#include <cstddef>

namespace ringcache {
namespace binding {

/**
 * True when `status` is napi_ok. Otherwise makes sure an exception is pending (keeping one a
 * getter or the engine already raised) and returns false; the caller returns nullptr.
 */
bool Check(napi_env env, napi_status status);

/** Short name of a value's type for messages: "undefined", "number", "Int32Array", "Array", ... */
const char* Describe(napi_env env, napi_value value);

/**
 * Argument name for messages: `name` alone, or `name[index]` when index >= 0.
 * Formatting happens only when a message is built (the error path).
 */
struct ArgName {
  const char* name;
  ptrdiff_t index = -1;
};

/** Throws `TypeError("<arg> must be <expected> (received <type of value>)")`; returns false. */
bool ThrowTypeError(napi_env env, ArgName arg, const char* expected, napi_value value);
/** Throws `TypeError("<arg> <problem>")` with code ERR_INVALID_ARG_TYPE; returns false. */
bool ThrowTypeProblem(napi_env env, ArgName arg, const char* problem);
/** Throws `RangeError("<arg> <problem>")` with code ERR_OUT_OF_RANGE; returns false. */
bool ThrowRangeError(napi_env env, ArgName arg, const char* problem);

/** Reads exactly `N` arguments (missing ones are `undefined`); false with an exception pending. */
template <size_t N>
inline bool GetArgs(napi_env env, napi_callback_info info, napi_value (&argv)[N]) {
  size_t argc = N;
  return Check(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
}

}  // namespace binding
}  // namespace ringcache

#endif  // RINGCACHE_BINDING_NAPI_UTIL_H_
