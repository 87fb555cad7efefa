export { IamProvider, createIamService } from './iam-provider.js';
