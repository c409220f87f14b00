#include "numbers.h"

#include <cmath>

#include "../core/ring-search.h"

namespace ringcache {
namespace binding {
namespace {

// One napi_get_value_double, its status telling a non-number: Napi::Number::DoubleValue would
// need a type check first (two crossings) and throws a generic error of its own.
bool GetNumber(Napi::Env env, Napi::Value value, ArgName arg, double* out) {
  const napi_status status = napi_get_value_double(env, value, out);
  if (status == napi_number_expected) return ThrowTypeError(env, arg, "a number", value);
  return Check(env, status);
}

// True when `d` is an integer in [min, max] (NaN fails every comparison).
bool IsIntegerIn(double d, double min, double max) { return d >= min && d <= max && std::trunc(d) == d; }

}  // namespace

bool GetUint32(Napi::Env env, Napi::Value value, ArgName arg, uint32_t* out) {
  double d;
  if (!GetNumber(env, value, arg, &d)) return false;
  if (!std::isfinite(d)) return ThrowRangeError(env, arg, "must be a finite number");
  if (d >= 0 && d < 4294967296.0) {
    *out = static_cast<uint32_t>(d);  // truncation toward zero is ToUint32 here
    return true;
  }
  // fmod of an integral double is exact; a negative remainder is brought into [0, 2^32).
  double m = std::fmod(std::trunc(d), 4294967296.0);
  if (m < 0) m += 4294967296.0;
  *out = static_cast<uint32_t>(m);
  return true;
}

bool GetShift(Napi::Env env, Napi::Value value, unsigned* out) {
  double d;
  if (!GetNumber(env, value, {"shift"}, &d)) return false;
  if (!IsIntegerIn(d, kMinRingShift, kMaxRingShift)) {
    return ThrowRangeError(env, {"shift"}, "must be an integer in 8..32");
  }
  *out = static_cast<unsigned>(d);
  return true;
}

bool GetRingHash(Napi::Env env, Napi::Value value, unsigned* out) {
  double d;
  if (!GetNumber(env, value, {"hash"}, &d)) return false;
  if (d != 0 && d != 1) return ThrowRangeError(env, {"hash"}, "must be 0 (md5) or 1 (murmur3)");
  *out = static_cast<unsigned>(d);
  return true;
}

}  // namespace binding
}  // namespace ringcache
