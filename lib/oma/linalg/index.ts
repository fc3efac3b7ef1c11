export { expm } from './expm.js';
export { orthonormalize } from './gram-schmidt.js';
export { HermitianEigenSolver } from './hermitian-eig.js';
export { jacobiSvd } from './jacobi-svd.js';
export { type LuFactors, luFactor, luSolve } from './lu.js';
export { Xoshiro128 } from './random.js';
export { type RandomizedSvdOptions, randomizedSvd, type TruncatedSvd } from './randomized-svd.js';
export { RealEigenSolver } from './real-eig.js';
export { tridiagonalQl } from './tridiagonal-ql.js';
