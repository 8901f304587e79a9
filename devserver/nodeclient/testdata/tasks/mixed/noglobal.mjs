// Does not need the global awslambda, so it loads without one.
export const handler = async () => ({ awslambda: typeof globalThis.awslambda });
