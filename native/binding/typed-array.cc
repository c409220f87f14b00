#include "typed-array.h"

#include <cstdio>

namespace ringcache {
namespace binding {
namespace {

// Where an empty view points: V8 may report a null data pointer for zero-length arrays.
alignas(8) uint8_t empty_storage[8];

}  // namespace

bool GetTypedArray(Napi::Env env, Napi::Value value, napi_typedarray_type type, const char* type_name, ArgName arg,
                   void** data, size_t* size) {
  napi_typedarray_type actual;
  napi_value buffer;
  // napi_get_typedarray_info answers napi_invalid_arg (no exception) for a non-typed-array,
  // which saves a napi_is_typedarray crossing on the hot path.
  const napi_status status = napi_get_typedarray_info(env, value, &actual, size, data, &buffer, nullptr);
  if (status == napi_invalid_arg) return ThrowTypeError(env, arg, type_name, value);
  if (!Check(env, status)) return false;
  if (actual != type) return ThrowTypeError(env, arg, type_name, value);
  if (*size == 0) {
    // A detached view reports length 0; only then is the extra crossing needed.
    bool detached = false;
    if (!Check(env, napi_is_detached_arraybuffer(env, buffer, &detached))) return false;
    if (detached) return ThrowTypeProblem(env, arg, "is detached (its ArrayBuffer was transferred)");
  }
  if (*data == nullptr) *data = empty_storage;
  return true;
}

bool CheckOutLength(Napi::Env env, ArgName arg, size_t have, size_t need) {
  if (have >= need) return true;
  char text[96];
  std::snprintf(text, sizeof text, "length must be at least %zu (received %zu)", need, have);
  return ThrowRangeError(env, arg, text);
}

bool CheckApart(Napi::Env env, ByteRange out, ByteRange input, ArgName input_name) {
  const bool empty = out.begin == out.end || input.begin == input.end;
  if (empty || out.end <= input.begin || input.end <= out.begin) return true;
  char text[96];
  if (input_name.index >= 0) {
    std::snprintf(text, sizeof text, "must not overlap %s[%td]", input_name.name, input_name.index);
  } else {
    std::snprintf(text, sizeof text, "must not overlap %s", input_name.name);
  }
  return ThrowRangeError(env, {"out"}, text);
}

}  // namespace binding
}  // namespace ringcache
