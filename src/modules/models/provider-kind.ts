import { providerKindEnum } from '../../db/schema.js';
import { enumObject } from '../common/enums.js';

export const ProviderKind = enumObject(providerKindEnum.enumValues);
export type ProviderKind = (typeof providerKindEnum.enumValues)[number];
