// llama.cpp's `general.file_type` (enum llama_ftype): the name of the quantization mix of a model.
#pragma once

#include <cstdint>
#include <string>

namespace chord::model {

// "Q4_K_M", "F16", ... or "unknown (N)".
std::string file_type_name(uint32_t file_type);

}  // namespace chord::model
