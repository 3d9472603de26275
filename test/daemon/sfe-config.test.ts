/**
 * The `sfe` section of the configuration (daemon/fiscal/sfe.ts): the ISF, the seller and the reference
 * rate every version-2 invoice needs, read from the environment the packaged unit sets, with the
 * development defaults only in development mode.
 */
import { describe, expect, it } from "vitest";
import { configFromEnv, resolveConfigLayers } from "../../daemon/config.js";
import { DEVELOPMENT_SFE, missingSfeSettings, sfeIdentityOf } from "../../daemon/fiscal/sfe.js";
import { isFiscalError } from "../../protocol/index.js";

const SHOP_ENV = {
  STALELA_ISF: "ISF-KIN-0042",
  STALELA_SELLER_NAME: "Alimentation La Concorde",
  STALELA_SELLER_ADDRESS: "12, avenue du Commerce, Gombe, Kinshasa",
  STALELA_SELLER_PHONE: "+243 81 000 0000",
  STALELA_FX_USD_RATE: "2850.5",
  STALELA_FX_USD_DATE: "2026-12-01",
  STALELA_FX_TOLERANCE_BP: "50",
};

function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected a refusal");
}

describe("the SFE identity from the configuration", () => {
  it("reads the ISF, the seller and the USD reference rate from the environment", () => {
    const { config, sources } = resolveConfigLayers([configFromEnv(SHOP_ENV)]);
    expect(config.sfe).toEqual({
      isf: "ISF-KIN-0042",
      seller: {
        name: "Alimentation La Concorde",
        address: "12, avenue du Commerce, Gombe, Kinshasa",
        phone: "+243 81 000 0000",
      },
      fx: { usdRate: "2850.5", usdRateDate: "2026-12-01", toleranceBp: 50 },
    });
    expect(sources["sfe.isf"]).toBe("env:STALELA_ISF");
    // 2 850,5 CDF per USD is 28 505 000 in ten-thousandths; the seller's NIF is never configured here.
    expect(sfeIdentityOf(config.sfe, false)).toEqual({
      isf: "ISF-KIN-0042",
      seller: {
        name: "Alimentation La Concorde",
        address: "12, avenue du Commerce, Gombe, Kinshasa",
        phone: "+243 81 000 0000",
      },
      fx: { reference: { USD: 28_505_000 }, toleranceBp: 50 },
    });
  });

  it("is incomplete without the ISF, the name or the address outside development mode, and says which", () => {
    const { config } = resolveConfigLayers([configFromEnv({ STALELA_SELLER_NAME: "Boutique" })]);
    expect(sfeIdentityOf(config.sfe, false)).toBeUndefined();
    expect(missingSfeSettings(config.sfe)).toEqual([
      "sfe.isf (STALELA_ISF)",
      "sfe.seller.address (STALELA_SELLER_ADDRESS)",
    ]);
    // Development mode fills in what is missing, never what was given.
    expect(sfeIdentityOf(config.sfe, true)).toMatchObject({
      isf: DEVELOPMENT_SFE.isf,
      seller: { name: "Boutique", address: DEVELOPMENT_SFE.address },
      fx: { reference: {}, toleranceBp: 100 },
    });
  });

  it("refuses a rate that is not a decimal CDF amount, an impossible date and a tolerance above 10 %", () => {
    for (const env of [
      { STALELA_FX_USD_RATE: "2,850" },
      { STALELA_FX_USD_RATE: "2850.12345" },
      { STALELA_FX_USD_DATE: "2026-13-01" },
      { STALELA_FX_TOLERANCE_BP: "1001" },
      { STALELA_ISF: "ISF 42" },
    ]) {
      const error = errorOf(() => resolveConfigLayers([configFromEnv(env)]));
      expect(isFiscalError(error), JSON.stringify(env)).toBe(true);
      expect((error as Error).message).toContain(Object.keys(env)[0]!);
    }
  });
});
