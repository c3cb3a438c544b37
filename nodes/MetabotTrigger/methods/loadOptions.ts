export { getAliases } from '../../shared/loadOptions';
