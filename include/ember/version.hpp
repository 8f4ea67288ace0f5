#pragma once
// ember's version: the one place it is written. CMakeLists.txt (project VERSION, the package version file)
// and pyproject.toml (scikit-build-core's regex provider) read the three numbers and the string below.
#define EMBER_VERSION_MAJOR 0
#define EMBER_VERSION_MINOR 2
#define EMBER_VERSION_PATCH 0
#define EMBER_VERSION_STRING "0.2.0"

// One integer that orders versions: MAJOR * 10000 + MINOR * 100 + PATCH (0.2.0 -> 200).
#define EMBER_VERSION (EMBER_VERSION_MAJOR * 10000 + EMBER_VERSION_MINOR * 100 + EMBER_VERSION_PATCH)

#define EMBER_VERSION_STR_(x) #x
#define EMBER_VERSION_STR(x) EMBER_VERSION_STR_(x)

namespace ember {

/// The version of these headers, "MAJOR.MINOR.PATCH" (EMBER_VERSION_STRING).
constexpr const char* version() noexcept { return EMBER_VERSION_STRING; }

namespace detail {
constexpr bool version_string_matches(const char* a, const char* b) {
  for (; *a && *a == *b; ++a, ++b) {}
  return *a == *b;
}
}  // namespace detail

// A release bump that edits the numbers but not the string (or back) stops here.
static_assert(detail::version_string_matches(
                  EMBER_VERSION_STRING, EMBER_VERSION_STR(EMBER_VERSION_MAJOR) "." EMBER_VERSION_STR(
                                            EMBER_VERSION_MINOR) "." EMBER_VERSION_STR(EMBER_VERSION_PATCH)),
              "EMBER_VERSION_STRING must be MAJOR.MINOR.PATCH");

}  // namespace ember
