#include "key-reader.h"

#include <cstdlib>

#include "typed-array.h"

namespace ringcache {
namespace binding {

KeyReader::~KeyReader() { std::free(heap_); }

bool KeyReader::Read(Napi::Env env, Napi::Value value, ArgName arg) {
  size_t copied = 0;
  borrowed_ = false;
  const napi_status status = napi_get_value_string_utf8(env, value, inline_, kInlineSize, &copied);
  if (status == napi_ok) {
    // V8 never writes part of a character, so a truncated copy stops up to 3 bytes short of
    // the kInlineSize - 1 available: only a copy that ends that close can be truncated.
    if (copied + 4 < kInlineSize) {
      data_ = reinterpret_cast<const uint8_t*>(inline_);
      size_ = copied;
      return true;
    }
    return ReadLongString(env, value, copied);
  }
  if (status != napi_string_expected) return Check(env, status);
  void* bytes = nullptr;
  if (!GetTypedArray(env, value, napi_uint8_array, "a string or Uint8Array", arg, &bytes, &size_)) return false;
  data_ = static_cast<const uint8_t*>(bytes);
  borrowed_ = true;
  return true;
}

bool KeyReader::ReadLongString(Napi::Env env, Napi::Value value, size_t copied) {
  size_t full = 0;
  if (!Check(env, napi_get_value_string_utf8(env, value, nullptr, 0, &full))) return false;
  if (full == copied) {
    data_ = reinterpret_cast<const uint8_t*>(inline_);
    size_ = copied;
    return true;
  }
  if (full + 1 > heap_size_) {
    std::free(heap_);
    heap_size_ = 0;
    heap_ = static_cast<char*>(std::malloc(full + 1));
    if (heap_ == nullptr) {
      return ThrowError(env, "ERR_MEMORY_ALLOCATION_FAILED", "out of memory reading a string key");
    }
    heap_size_ = full + 1;
  }
  if (!Check(env, napi_get_value_string_utf8(env, value, heap_, full + 1, &copied))) return false;
  data_ = reinterpret_cast<const uint8_t*>(heap_);
  size_ = copied;
  return true;
}

}  // namespace binding
}  // namespace ringcache
