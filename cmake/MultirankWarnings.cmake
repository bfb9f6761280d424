# Warnings as an INTERFACE target: the library, apps and tests link it, consumers do not.
add_library(multirank_warnings INTERFACE)
target_compile_options(multirank_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor)
