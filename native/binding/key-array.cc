#include "key-array.h"

namespace ringcache {
namespace binding {

bool GetKeyArray(napi_env env, napi_value keys, uint32_t* length) {
  bool is_array = false;
  if (!Check(env, napi_is_array(env, keys, &is_array))) return false;
  if (!is_array) return ThrowTypeError(env, {"keys"}, "an Array", keys);
  return Check(env, napi_get_array_length(env, keys, length));
}

}  // namespace binding
}  // namespace ringcache
