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

bool Throw(napi_env env, bool range, ArgName arg, const char* text) {
  char name[64];
  FormatName(arg, name, sizeof name);
  char message[256];
  std::snprintf(message, sizeof message, "%s %s", name, text);
  if (range) {
    napi_throw_range_error(env, kRangeError, message);
  } else {
    napi_throw_type_error(env, kTypeError, message);
  }
  return false;
}

}  // namespace

bool Check(napi_env env, napi_status status) {
  if (status == napi_ok) return true;
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) return false;
  const napi_extended_error_info* info = nullptr;
  const char* message = "Node-API call failed";
  if (napi_get_last_error_info(env, &info) == napi_ok && info != nullptr && info->error_message != nullptr) {
    message = info->error_message;
  }
  napi_throw_error(env, nullptr, message);
  return false;
}

const char* Describe(napi_env env, napi_value value) {
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok) return "unknown";
  switch (type) {
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
  bool is = false;
  if (napi_is_typedarray(env, value, &is) == napi_ok && is) {
    napi_typedarray_type ta;
    if (napi_get_typedarray_info(env, value, &ta, nullptr, nullptr, nullptr, nullptr) == napi_ok) {
      return TypedArrayName(ta);
    }
  }
  if (napi_is_array(env, value, &is) == napi_ok && is) return "Array";
  if (napi_is_arraybuffer(env, value, &is) == napi_ok && is) return "ArrayBuffer";
  if (napi_is_dataview(env, value, &is) == napi_ok && is) return "DataView";
  return "object";
}

bool ThrowTypeError(napi_env env, ArgName arg, const char* expected, napi_value value) {
  char text[160];
  std::snprintf(text, sizeof text, "must be %s (received %s)", expected, Describe(env, value));
  return Throw(env, false, arg, text);
}

bool ThrowTypeProblem(napi_env env, ArgName arg, const char* problem) { return Throw(env, false, arg, problem); }

bool ThrowRangeError(napi_env env, ArgName arg, const char* problem) { return Throw(env, true, arg, problem); }

}  // namespace binding
}  // namespace ringcache
