/** Shared by the runtime fallback and the build-time standalone compile, so both validate alike. */
export const AJV_OPTIONS = { allErrors: true, strict: true, strictTypes: false, strictRequired: false, allowUnionTypes: true } as const;
