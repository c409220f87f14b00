// Exact-type typed array arguments (a Uint16Array where one is expected, not any view).
#ifndef RINGCACHE_BINDING_TYPED_ARRAY_H_
#define RINGCACHE_BINDING_TYPED_ARRAY_H_

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "napi-util.h"

namespace ringcache {
namespace binding {

/** A borrowed typed array: valid only until JS runs again (a getter may detach it). */
template <typename T>
struct Span {
  T* data = nullptr;
  size_t size = 0;
};

/**
 * Reads a typed array of exactly `type`. TypeError for anything else or a detached buffer.
 * `data` is never null (an empty array points at static storage), so it can go to memcpy.
 * One napi_get_typedarray_info: Napi::TypedArrayOf<T> would cost two crossings per argument
 * (TypedArray's constructor, then its own) and throw a generic error for a non-view.
 */
bool GetTypedArray(Napi::Env env, Napi::Value value, napi_typedarray_type type, const char* type_name, ArgName arg,
                   void** data, size_t* size);

/** The napi type tag and the message name of the typed array holding T. */
template <typename T>
struct TypedArrayKind {
  static_assert(std::is_same_v<T, uint8_t> || std::is_same_v<T, uint16_t> || std::is_same_v<T, uint32_t> ||
                std::is_same_v<T, int32_t>);
  static constexpr napi_typedarray_type kType = std::is_same_v<T, uint8_t>    ? napi_uint8_array
                                                : std::is_same_v<T, uint16_t> ? napi_uint16_array
                                                : std::is_same_v<T, uint32_t> ? napi_uint32_array
                                                                              : napi_int32_array;
  static constexpr const char* kName = std::is_same_v<T, uint8_t>    ? "a Uint8Array"
                                       : std::is_same_v<T, uint16_t> ? "a Uint16Array"
                                       : std::is_same_v<T, uint32_t> ? "a Uint32Array"
                                                                     : "an Int32Array";
};

template <typename T>
inline bool GetSpan(Napi::Env env, Napi::Value value, ArgName arg, Span<T>* out) {
  void* data = nullptr;
  if (!GetTypedArray(env, value, TypedArrayKind<T>::kType, TypedArrayKind<T>::kName, arg, &data, &out->size)) {
    return false;
  }
  out->data = static_cast<T*>(data);
  return true;
}

/** RangeError `out.length must be at least <need> (received <have>)` unless have >= need. */
bool CheckOutLength(Napi::Env env, ArgName arg, size_t have, size_t need);

/** The `out` argument: a typed array of T with room for at least `need` results. */
template <typename T>
inline bool GetOut(Napi::Env env, Napi::Value value, size_t need, Span<T>* out) {
  return GetSpan(env, value, {"out"}, out) && CheckOutLength(env, {"out"}, out->size, need);
}

/**
 * A span of memory as addresses, for overlap checks only (never dereferenced): compared as
 * integers, since `<` between pointers into different arrays is unspecified in C++.
 */
struct ByteRange {
  uintptr_t begin = 0;
  uintptr_t end = 0;
};

/** The first `count` elements of `span` (all of it by default). */
template <typename T>
inline ByteRange BytesOf(const Span<T>& span, size_t count = SIZE_MAX) {
  const size_t n = count < span.size ? count : span.size;
  const auto begin = reinterpret_cast<uintptr_t>(span.data);
  return ByteRange{begin, begin + n * sizeof(T)};
}

/**
 * RangeError `out must not overlap <input>` when the part of `out` that a call writes shares
 * memory with an input it reads. Empty ranges never overlap. An overlap is refused rather than
 * given a meaning: the native and TS engines write results at different times (per chunk of
 * 256, per key, a hash pass before a search pass), so a write seen by a later read would make
 * the engines disagree, and a write into `offsets` would move the keys.
 */
bool CheckApart(Napi::Env env, ByteRange out, ByteRange input, ArgName input_name);

}  // namespace binding
}  // namespace ringcache

#endif  // RINGCACHE_BINDING_TYPED_ARRAY_H_
