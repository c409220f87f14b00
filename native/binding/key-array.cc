#include "key-array.h"

namespace ringcache {
namespace binding {

bool GetKeyArray(Napi::Env env, Napi::Value keys, uint32_t* length) {
  if (!keys.IsArray()) return ThrowTypeError(env, {"keys"}, "an Array", keys);
  *length = keys.As<Napi::Array>().Length();
  return true;
}

}  // namespace binding
}  // namespace ringcache
