// libFuzzer target for the GGUF reader: any input must either parse or be refused with chord::Error.
// An accepted file is also written back and re-read: the copy must parse and hold the same metadata
// and tensor table (the writer lays tensors out canonically, so bytes may differ where offsets did).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "core/error.h"
#include "gguf/file.h"
#include "gguf/writer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace chord;
    try {
        const gguf::File f = gguf::File::parse(borrow_bytes(std::span<const uint8_t>(data, size), "fuzz"));
        size_t shown = 0;
        for (const auto& kv : f.metadata()) shown += kv.value.to_display(false).size();
        for (const auto& t : f.tensors()) shown += t.shape_string().size() + t.data.size();
        (void)shown;
        const auto copy_bytes = gguf::Writer::copy_of(f).write_buffer();
        const gguf::File copy = gguf::File::parse(borrow_bytes(copy_bytes, "fuzz-copy"));
        if (copy.metadata().size() != f.metadata().size() || copy.tensors().size() != f.tensors().size())
            std::abort();
        for (size_t i = 0; i < f.metadata().size(); ++i)
            if (!(copy.metadata()[i].value == f.metadata()[i].value)) std::abort();
        for (size_t i = 0; i < f.tensors().size(); ++i)
            if (copy.tensors()[i].n_bytes != f.tensors()[i].n_bytes ||
                copy.tensors()[i].name != f.tensors()[i].name)
                std::abort();
    } catch (const Error&) {
        // Refused with a message: the expected outcome for most inputs.
    }
    return 0;
}
