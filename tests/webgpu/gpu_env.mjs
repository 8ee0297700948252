// Shared by the WebGPU tests: Dawn for node (npm webgpu) on a chosen Vulkan driver. The driver is picked
// with VK_ICD_FILENAMES before node starts (the test runner sets it per ctest entry); this module only
// creates navigator.gpu.
import { create, globals } from 'webgpu';

Object.assign(globalThis, globals);

export function makeGpu() {
    return create([]);
}
