# Build facts for the study files' root attributes (git commit, compiler, flags), known at
# configure time and handed to the library as a generated header, multirank_build_info.hpp.
# Include this file after the multirank_study target exists. Without it the library writes "unknown".
find_package(Git QUIET)
set(MULTIRANK_GIT_COMMIT "unknown")
if(GIT_FOUND AND EXISTS "${PROJECT_SOURCE_DIR}/.git")
  execute_process(COMMAND "${GIT_EXECUTABLE}" -C "${PROJECT_SOURCE_DIR}" describe --always --dirty --abbrev=40
                  OUTPUT_VARIABLE _mr_commit OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE _mr_rc)
  if(_mr_rc EQUAL 0 AND _mr_commit)
    set(MULTIRANK_GIT_COMMIT "${_mr_commit}")
  endif()
endif()
string(TOUPPER "${CMAKE_BUILD_TYPE}" _mr_build_type_upper)
set(MULTIRANK_BUILD_TYPE "${CMAKE_BUILD_TYPE}")
set(MULTIRANK_COMPILER "${CMAKE_CXX_COMPILER_ID} ${CMAKE_CXX_COMPILER_VERSION}")
string(STRIP "${CMAKE_CXX_FLAGS} ${CMAKE_CXX_FLAGS_${_mr_build_type_upper}} -std=c++${CMAKE_CXX_STANDARD}"
       MULTIRANK_COMPILER_FLAGS)
configure_file("${CMAKE_CURRENT_LIST_DIR}/build_info.hpp.in"
               "${PROJECT_BINARY_DIR}/generated/multirank_build_info.hpp" @ONLY)
target_include_directories(multirank_study PRIVATE "$<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/generated>")
set_property(GLOBAL PROPERTY MULTIRANK_BUILD_INFO_INCLUDED TRUE)
