// Getting a WebGPU device for the engine. Every failure throws a WebGpuUnavailable whose message is the
// reason, so a caller can fall back to the CPU backend and report why.

export class WebGpuUnavailable extends Error {
    constructor(reason) {
        super(reason);
        this.name = 'WebGpuUnavailable';
    }
}

// options: { gpu (a GPU object; navigator.gpu by default), f16 (use shader-f16 when offered, default
// true), timestamps (ask for timestamp-query when offered), minBinding (bytes the largest weight part
// needs), powerPreference }.
export async function acquireDevice(options = {}) {
    const gpu = options.gpu ?? globalThis.navigator?.gpu;
    if (!gpu) throw new WebGpuUnavailable('WebGPU is not available here (no navigator.gpu)');
    let adapter;
    try {
        adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
    } catch (e) {
        throw new WebGpuUnavailable(`requestAdapter failed: ${e.message ?? e}`);
    }
    if (!adapter) throw new WebGpuUnavailable('no WebGPU adapter');
    const L = adapter.limits;
    const need = options.minBinding ?? 0;
    if (L.maxStorageBufferBindingSize < need)
        throw new WebGpuUnavailable(`maxStorageBufferBindingSize ${L.maxStorageBufferBindingSize} is below the ${need} bytes one weight row needs`);
    if (L.maxStorageBuffersPerShaderStage < 6)
        throw new WebGpuUnavailable(`maxStorageBuffersPerShaderStage ${L.maxStorageBuffersPerShaderStage} < 6`);
    const features = [];
    const f16 = (options.f16 ?? true) && adapter.features.has('shader-f16');
    if (f16) features.push('shader-f16');
    const timestamps = !!options.timestamps && adapter.features.has('timestamp-query');
    if (timestamps) features.push('timestamp-query');
    const requiredLimits = {
        maxStorageBufferBindingSize: L.maxStorageBufferBindingSize,
        maxBufferSize: L.maxBufferSize,
        maxStorageBuffersPerShaderStage: Math.min(L.maxStorageBuffersPerShaderStage, 8),
        maxComputeWorkgroupStorageSize: Math.min(L.maxComputeWorkgroupStorageSize, 16384),
    };
    let device;
    try {
        device = await adapter.requestDevice({ requiredFeatures: features, requiredLimits });
    } catch (e) {
        throw new WebGpuUnavailable(`requestDevice failed: ${e.message ?? e}`);
    }
    if (!device) throw new WebGpuUnavailable('requestDevice returned no device');
    const info = adapter.info ?? {};
    const software = /swiftshader|llvmpipe|lavapipe|software/i.test(`${info.vendor} ${info.architecture} ${info.device} ${info.description}`);
    return {
        software,  // a CPU implementation of WebGPU (fine for tests, not for speed)
        device,
        gpu,  // kept: Dawn for node tears the instance down when its GPU object is collected
        adapter,
        f16,
        timestamps,
        maxBinding: Math.min(L.maxStorageBufferBindingSize, L.maxBufferSize),
        description: [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'unknown adapter',
    };
}
