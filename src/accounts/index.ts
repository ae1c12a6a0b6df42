export { AccountService, type NewUser, type Session } from './account.service';
export { accountRoutes } from './account.routes';
export { SessionRow } from './session.entity';
export { UserRow } from './user.entity';
export { email, password, displayName, toUserDto, type UserDto } from './account.schemas';
export { OWASP_ARGON2ID, PasswordHasher, type PasswordHashing } from './password';
