// cbor-x loads cbor-extract inside a try/catch and falls back to its JavaScript decoder when it throws.
throw new Error("cbor-extract is disabled in this build: cbor-x decodes in JavaScript");
