#include "napi-util.h"

#include <cstdio>

namespace ringcache {
namespace binding {
namespace {

constexpr const char* kTypeError = "ERR_INVALID_ARG_TYPE";
constexpr const char* kRangeError = "ERR_OUT_OF_RANGE";

const char* TypedArrayName(napi_typedarray_type type) {
  switch (type) {
    case napi_int8_array: return "Int8Array";
    case napi_uint8_array: return "Uint8Array";
    case napi_uint8_clamped_array: return "Uint8ClampedArray";
    case napi_int16_array: return "Int16Array";
    case napi_uint16_array: return "Uint16Array";
    case napi_int32_array: return "Int32Array";
    case napi_uint32_array: return "Uint32Array";
    case napi_float32_array: return "Float32Array";
    case napi_float64_array: return "Float64Array";
    case napi_bigint64_array: return "BigInt64Array";
    case napi_biguint64_array: return "BigUint64Array";
  }
  return "typed array";
}

void FormatName(ArgName arg, char* out, size_t size) {
  if (arg.index >= 0) {
    std::snprintf(out, size, "%s[%td]", arg.name, arg.index);
  } else {
    std::snprintf(out, size, "%s", arg.name);
  }
}

// Thrown with a Node-style `code`, as Node's own argument errors.
void ThrowWithCode(Napi::Error error, const char* code) {
  if (error.IsEmpty()) return;  // creating it failed: that left an exception pending
  if (code != nullptr) error.Set("code", Napi::String::New(error.Env(), code));
  error.ThrowAsJavaScriptException();
}

bool Throw(Napi::Env env, bool range, ArgName arg, const char* text) {
  char name[64];
  FormatName(arg, name, sizeof name);
  char message[256];
  std::snprintf(message, sizeof message, "%s %s", name, text);
  if (range) {
    ThrowWithCode(Napi::RangeError::New(env, message), kRangeError);
  } else {
    ThrowWithCode(Napi::TypeError::New(env, message), kTypeError);
  }
  return false;
}

}  // namespace

bool Check(Napi::Env env, napi_status status) {
  if (status == napi_ok) return true;
  if (env.IsExceptionPending()) return false;
  const napi_extended_error_info* info = nullptr;
  const char* message = "Node-API call failed";
  if (napi_get_last_error_info(env, &info) == napi_ok && info != nullptr && info->error_message != nullptr) {
    message = info->error_message;
  }
  return ThrowError(env, nullptr, message);
}

const char* Describe(Napi::Value value) {
  switch (value.Type()) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return "boolean";
    case napi_number: return "number";
    case napi_string: return "string";
    case napi_symbol: return "symbol";
    case napi_bigint: return "bigint";
    case napi_function: return "function";
    case napi_external: return "external";
    case napi_object: break;
  }
  napi_typedarray_type ta;
  if (napi_get_typedarray_info(value.Env(), value, &ta, nullptr, nullptr, nullptr, nullptr) == napi_ok) {
    return TypedArrayName(ta);
  }
  if (value.IsArray()) return "Array";
  if (value.IsArrayBuffer()) return "ArrayBuffer";
  if (value.IsDataView()) return "DataView";
  return "object";
}

napi_value Uint32Result(Napi::Env env, uint32_t value) {
  napi_value result;
  return Check(env, napi_create_uint32(env, value, &result)) ? result : nullptr;
}

napi_value Int32Result(Napi::Env env, int32_t value) {
  napi_value result;
  return Check(env, napi_create_int32(env, value, &result)) ? result : nullptr;
}

bool ThrowTypeError(Napi::Env env, ArgName arg, const char* expected, Napi::Value value) {
  char text[160];
  std::snprintf(text, sizeof text, "must be %s (received %s)", expected, Describe(value));
  return Throw(env, false, arg, text);
}

bool ThrowTypeProblem(Napi::Env env, ArgName arg, const char* problem) { return Throw(env, false, arg, problem); }

bool ThrowRangeError(Napi::Env env, ArgName arg, const char* problem) { return Throw(env, true, arg, problem); }

bool ThrowError(Napi::Env env, const char* code, const char* message) {
  ThrowWithCode(Napi::Error::New(env, message), code);
  return false;
}

}  // namespace binding
}  // namespace ringcache
