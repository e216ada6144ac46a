// Values read from text: the coercions a converter applies when a record
// holds a string (or a number's text) where the schema wants a number, a
// boolean, a decimal or bytes. The JSON converter and the Python record
// converter share them, so a connector's records land the same whichever
// way they reach the engine.
#pragma once

#include <arrow/util/decimal.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace lakeflow {

constexpr int64_t kMicrosPerSecond = 1'000'000;
// Epoch seconds beyond this overflow int64 microseconds.
constexpr int64_t kMaxEpochSeconds = 9'000'000'000'000;

bool IsJsonSpace(char c);
std::string_view TrimJsonSpace(std::string_view s);

// A double that is an integer in int64's range; 3.0 passes, 3.5 and 1e30 do not.
bool DoubleToInt64(double d, int64_t* out);

// Numbers in text, surrounding whitespace and a leading '+' allowed.
bool ParseDoubleText(std::string_view s, double* out);
// Integers in text: "42", "+42", " -7 ", and "3.0" (an integral float).
bool ParseIntText(std::string_view s, int64_t* out);
// true/t/yes/y/1 and false/f/no/n/0, in any case.
bool ParseBoolText(std::string_view s, bool* out);

// A number's text (never through double) as a decimal of `precision` and
// `scale`, rounded half away from zero; false if it is not a number or does
// not fit.
bool ParseDecimalText(std::string_view s, int32_t precision, int32_t scale, arrow::Decimal128* out);

// Epoch seconds as microseconds; false beyond kMaxEpochSeconds.
bool EpochSecondsToMicros(int64_t seconds, int64_t* out);
bool EpochSecondsToMicros(double seconds, int64_t* out);

// Strict standard base64: the RFC 4648 alphabet, '=' padding only at the end,
// a length that is a multiple of 4.
bool DecodeBase64(std::string_view s, std::string* out);
bool DecodeHex(std::string_view s, std::string* out);
// What a binary column takes from a string: base64, else hex, else the
// string's own UTF-8 bytes. Returns the bytes, in `scratch` when decoded.
std::string_view BinaryFromText(std::string_view s, std::string* scratch);

}  // namespace lakeflow
