# feedgov_cc_library(NAME n HDRS ... SRCS ... DEPS ...)
#   Defines static library target feedgov_<n>. Includes are rooted at the
#   repository root ("engine/common/types.h") and at the generated proto dir
#   ("feedgov/v1/policy.pb.h").
function(feedgov_cc_library)
  cmake_parse_arguments(FG "" "NAME" "HDRS;SRCS;DEPS" ${ARGN})
  if(FG_SRCS)
    add_library(feedgov_${FG_NAME} STATIC ${FG_SRCS} ${FG_HDRS})
    target_include_directories(feedgov_${FG_NAME} PUBLIC ${PROJECT_SOURCE_DIR})
    target_link_libraries(feedgov_${FG_NAME} PUBLIC ${FG_DEPS})
  else()
    add_library(feedgov_${FG_NAME} INTERFACE)
    target_include_directories(feedgov_${FG_NAME} INTERFACE ${PROJECT_SOURCE_DIR})
    target_link_libraries(feedgov_${FG_NAME} INTERFACE ${FG_DEPS})
  endif()
endfunction()

# feedgov_cc_test(NAME n SRCS ... DEPS ... [LABELS ...])
#   One GoogleTest executable; each TEST is registered with ctest. Tests get
#   FEEDGOV_DATA_DIR (shared data) and FEEDGOV_SOURCE_DIR in the environment.
function(feedgov_cc_test)
  cmake_parse_arguments(FG "" "NAME;TIMEOUT" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${FG_NAME} ${FG_SRCS})
  target_link_libraries(${FG_NAME} PRIVATE ${FG_DEPS} feedgov_testing
                        GTest::gmock GTest::gtest_main)
  if(NOT FG_TIMEOUT)
    set(FG_TIMEOUT 600)
  endif()
  gtest_discover_tests(${FG_NAME}
    DISCOVERY_TIMEOUT 60
    PROPERTIES
      TIMEOUT ${FG_TIMEOUT}
      LABELS "${FG_LABELS}"
      ENVIRONMENT "FEEDGOV_DATA_DIR=${FEEDGOV_DATA_DIR};FEEDGOV_SOURCE_DIR=${PROJECT_SOURCE_DIR};FEEDGOV_BINARY_DIR=${PROJECT_BINARY_DIR}")
endfunction()
