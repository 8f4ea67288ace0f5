# EMBER_SANITIZE=ON builds ember's own test programs (the GoogleTest executables, and the Python module
# when it is built for the sanitized pytest run) with AddressSanitizer and UndefinedBehaviorSanitizer.
# Only those targets: ember::ember itself carries no sanitizer flags, so what users' programs get is
# unchanged. The run-time options and suppressions live in tests/sanitize/ (see tests/sanitize/README.md).
option(EMBER_SANITIZE "Build ember's test programs with AddressSanitizer + UndefinedBehaviorSanitizer" OFF)

if(EMBER_SANITIZE AND NOT CMAKE_CXX_COMPILER_ID MATCHES "^(GNU|Clang)$")
  message(FATAL_ERROR "EMBER_SANITIZE=ON needs g++ or clang++, not ${CMAKE_CXX_COMPILER_ID}")
endif()

# ember_sanitize(<target>...): compile and link each target with ASan + UBSan when EMBER_SANITIZE is on.
#   -fno-sanitize-recover=undefined  a UBSan finding aborts the test (it fails), not only a printed line
#   -fno-omit-frame-pointer          whole stack traces from ASan's fast unwinder
#   -D_GLIBCXX_ASSERTIONS            libstdc++'s bounds checks (operator[] of vector, span, string...):
#                                    an index past size() but within capacity is no ASan error. It does
#                                    not change the ABI, so it mixes with Debian's libgtest.
function(ember_sanitize)
  if(NOT EMBER_SANITIZE)
    return()
  endif()
  foreach(target IN LISTS ARGN)
    target_compile_options(${target} PRIVATE
      $<$<COMPILE_LANGUAGE:CXX>:-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer>)
    target_compile_definitions(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:_GLIBCXX_ASSERTIONS>)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endforeach()
endfunction()
