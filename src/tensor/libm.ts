// log, sin and cos in float64 for the random transforms (tensor layer). PyTorch's Box-Muller calls
// glibc's libm; V8's Math functions (fdlibm) differ from it in the last bit for ~7% of log and ~3%
// of sin/cos arguments. See Note [PyTorch's random stream] in distributions.ts.

export const libmLog = Math.log;
export const libmSin = Math.sin;
export const libmCos = Math.cos;
