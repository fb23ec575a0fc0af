/** threatdraft's version, recorded in every draft's provenance. Keep equal to package.json. */
export const VERSION = '0.1.0';
