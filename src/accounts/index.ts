export { AccountService, type NewUser, type Session } from './account.service';
export { accountRoutes } from './account.routes';
export { UserRow } from './user.entity';
export { email, password, displayName, toUserDto, type UserDto } from './account.schemas';
