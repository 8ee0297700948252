# Compiler flags shared by every wasm-chord target, collected in the interface target chord_flags
# (and, in WebAssembly, chord_flags_single: the same without threads, for the single-threaded module).
add_library(chord_warnings INTERFACE)
target_compile_options(chord_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                                                -Wno-sign-conversion)
if(CHORD_WERROR)
    target_compile_options(chord_warnings INTERFACE -Werror)
endif()
add_library(chord_flags INTERFACE)
target_link_libraries(chord_flags INTERFACE chord_warnings)

if(EMSCRIPTEN)
    # SIMD128 kernels and pthreads: every object must be compiled with -pthread (TOOLCHAIN.md).
    # Exceptions are emscripten's JS-based ones: with -pthread, 3.1.6's -fwasm-exceptions lets a
    # chord::Error escape every catch (tried). JS-based catching costs a trampoline per call made
    # from a function with cleanups, so kernels and the token loop must not throw (they don't).
    set(CHORD_WASM_COMPILE -msimd128 -pthread -fexceptions)
    target_compile_options(chord_flags INTERFACE ${CHORD_WASM_COMPILE})
    target_link_options(chord_flags INTERFACE -msimd128 -pthread -fexceptions
        -sALLOW_MEMORY_GROWTH=1 -sMAXIMUM_MEMORY=4GB
        # Workers are started ahead: a thread created later starts only when the main thread returns
        # to the event loop, which a pool waiting on it never does. At least 4, more on bigger machines.
        "-sPTHREAD_POOL_SIZE=Math.max(4,typeof navigator!=='undefined'?navigator.hardwareConcurrency:require('os').cpus().length)")
    add_library(chord_flags_single INTERFACE)
    target_link_libraries(chord_flags_single INTERFACE chord_warnings)
    target_compile_options(chord_flags_single INTERFACE -msimd128 -fexceptions)
    target_link_options(chord_flags_single INTERFACE -msimd128 -fexceptions
        -sALLOW_MEMORY_GROWTH=1 -sMAXIMUM_MEMORY=4GB)
else()
    find_package(Threads REQUIRED)
    target_link_libraries(chord_flags INTERFACE Threads::Threads)
endif()
