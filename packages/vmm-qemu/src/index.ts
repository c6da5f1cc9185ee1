/** Placeholder entry point; replaced as the package grows. */
export {};
