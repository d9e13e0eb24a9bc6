# Run by ctest (see CMakeLists.txt): configures and builds the clang/libFuzzer build in
# standalone/, replays the checked-in seed corpus, then fuzzes for a bounded time.
#   -DKD_SOURCE_DIR=... -DBUILD_DIR=... -DCLANG_CXX=... -DSECONDS=60
# The seeds are copied into BUILD_DIR so that what the fuzzer adds never touches the sources.
foreach(var KD_SOURCE_DIR BUILD_DIR CLANG_CXX SECONDS)
    if(NOT DEFINED ${var})
        message(FATAL_ERROR "runfuzzer.cmake: -D${var}=... is required")
    endif()
endforeach()
if(NOT EXISTS "${CLANG_CXX}")
    message(FATAL_ERROR "clang++ not found; install the Debian packages clang and "
                        "libclang-rt-14-dev (installer/install-deps.sh --test)")
endif()

execute_process(
    COMMAND ${CMAKE_COMMAND} -S ${KD_SOURCE_DIR}/tests/fuzz/standalone -B ${BUILD_DIR} -G Ninja
            -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_COMPILER=${CLANG_CXX}
            -DKD_SOURCE_DIR=${KD_SOURCE_DIR}
    RESULT_VARIABLE result)
if(NOT result EQUAL 0)
    message(FATAL_ERROR "configuring the fuzzer build failed")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${BUILD_DIR} -j 2 RESULT_VARIABLE result)
if(NOT result EQUAL 0)
    message(FATAL_ERROR "building the fuzzer failed (libFuzzer comes with libclang-rt-14-dev)")
endif()

set(corpus ${BUILD_DIR}/corpus)
set(artifacts ${BUILD_DIR}/artifacts/)
file(MAKE_DIRECTORY ${corpus} ${artifacts})
file(GLOB seeds ${KD_SOURCE_DIR}/tests/fuzz/corpus/*)
file(COPY ${seeds} DESTINATION ${corpus})
set(ENV{ASAN_OPTIONS} "detect_leaks=1:abort_on_error=0")
set(ENV{UBSAN_OPTIONS} "print_stacktrace=1:halt_on_error=1")

# Every seed first, so that a regression input checked in after a fix fails fast.
execute_process(
    COMMAND ${BUILD_DIR}/fuzz_requestbody -runs=0 -artifact_prefix=${artifacts} ${corpus}
    RESULT_VARIABLE result)
if(NOT result EQUAL 0)
    message(FATAL_ERROR "a seed of tests/fuzz/corpus crashes the decoders (see above)")
endif()
execute_process(
    COMMAND ${BUILD_DIR}/fuzz_requestbody -max_total_time=${SECONDS} -timeout=10
            -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1
            -artifact_prefix=${artifacts} ${corpus}
    RESULT_VARIABLE result)
if(NOT result EQUAL 0)
    message(FATAL_ERROR "the fuzzer found a crash; the input is in ${artifacts} "
                        "(replay: ${BUILD_DIR}/fuzz_requestbody <file>)")
endif()
