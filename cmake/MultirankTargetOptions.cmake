# Options for multirank's own targets, as INTERFACE targets that the library, apps and tests
# link inside this build; consumers of the installed package get none of them (except a
# sanitized library's link flags, which every program that links it needs).
add_library(multirank_warnings INTERFACE)
target_compile_options(multirank_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor)

# The library itself is also checked for silent narrowing: every conversion that can change a
# value is explicit, and checked where the value can be out of range.
add_library(multirank_library_warnings INTERFACE)
target_link_libraries(multirank_library_warnings INTERFACE multirank_warnings)
target_compile_options(multirank_library_warnings INTERFACE -Wconversion -Wsign-conversion)

add_library(multirank_sanitize INTERFACE)
if(MULTIRANK_SANITIZE)
  target_compile_options(multirank_sanitize INTERFACE
                         -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(multirank_sanitize INTERFACE -fsanitize=address,undefined)
endif()

# multirank_internal_target(TARGET [LIBRARY]): C++20, warnings (the library's stricter set with
# LIBRARY) and the sanitizer option, for a target of this build.
function(multirank_internal_target target)
  target_compile_features(${target} PUBLIC cxx_std_20)
  if("LIBRARY" IN_LIST ARGN)
    target_link_libraries(${target} PRIVATE $<BUILD_INTERFACE:multirank_library_warnings>)
  else()
    target_link_libraries(${target} PRIVATE $<BUILD_INTERFACE:multirank_warnings>)
  endif()
  target_link_libraries(${target} PRIVATE $<BUILD_INTERFACE:multirank_sanitize>)
endfunction()
