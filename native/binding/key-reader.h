// Reads a key argument as bytes: a string as its UTF-8 (what Buffer.from(str) gives, lone
// surrogates as EF BF BD), a Uint8Array (Buffers included) in place, honouring byteOffset.
#ifndef RINGCACHE_BINDING_KEY_READER_H_
#define RINGCACHE_BINDING_KEY_READER_H_

#include <cstddef>
#include <cstdint>

#include "napi-util.h"

namespace ringcache {
namespace binding {

/**
 * One reader serves a whole batch. Short strings land in the inline buffer (no allocation);
 * a longer one in a heap buffer that is kept, grown as needed, and freed with the reader.
 * The bytes are valid until the next Read or until JS runs (a Uint8Array may be detached).
 */
class KeyReader {
 public:
  KeyReader() = default;
  KeyReader(const KeyReader&) = delete;
  KeyReader& operator=(const KeyReader&) = delete;
  ~KeyReader();

  /** False with a TypeError (or out-of-memory Error) pending. */
  bool Read(Napi::Env env, Napi::Value value, ArgName arg);

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  /** True when the bytes are the Uint8Array's own memory (a string is copied into the reader). */
  bool borrowed() const { return borrowed_; }

 private:
  bool ReadLongString(Napi::Env env, Napi::Value value, size_t copied);

  static constexpr size_t kInlineSize = 256;
  char inline_[kInlineSize];
  char* heap_ = nullptr;
  size_t heap_size_ = 0;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  bool borrowed_ = false;
};

}  // namespace binding
}  // namespace ringcache

#endif  // RINGCACHE_BINDING_KEY_READER_H_
