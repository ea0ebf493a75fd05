"""A minimal login service built on fastapi-users: its documented SQLAlchemy + JWT setup.

This is the second, independent target of the conformance suite (``profiles/fastapi-users.toml``):
nothing here is shared with authsvc. It follows the fastapi-users documentation
("Full example: SQLAlchemy", bearer transport + JWT strategy) with two deviations, both for
running it from a test harness: settings come from the environment, and the app is built by a
factory rather than at import time. Start it with::

    FASTAPI_USERS_SECRET=... uvicorn --factory --app-dir examples/fastapi_users_app app:create_app

Environment:

- ``FASTAPI_USERS_DATABASE_URL``: default ``sqlite+aiosqlite:///./fastapi-users.db``;
- ``FASTAPI_USERS_SECRET``: the JWT signing secret (a random one when unset: tokens then die with
  the process);
- ``FASTAPI_USERS_ARGON2``: optional ``memory_cost,time_cost,parallelism`` for the argon2id
  hasher (the documented way to customise it is a ``PasswordHelper``); unset keeps pwdlib's
  defaults (64 MiB, t=3, p=4).
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi_users import BaseUserManager, FastAPIUsers, UUIDIDMixin, schemas
from fastapi_users.authentication import AuthenticationBackend, BearerTransport, JWTStrategy
from fastapi_users.db import SQLAlchemyBaseUserTableUUID, SQLAlchemyUserDatabase
from fastapi_users.password import PasswordHelper
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from pwdlib.hashers.bcrypt import BcryptHasher
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """The declarative base of the example's tables."""


class User(SQLAlchemyBaseUserTableUUID, Base):
    """fastapi-users' user table (``user``): id, email, hashed_password and three flags."""


class UserRead(schemas.BaseUser[uuid.UUID]):
    """What the API returns for a user."""


class UserCreate(schemas.BaseUserCreate):
    """The registration body."""


class UserUpdate(schemas.BaseUserUpdate):
    """The ``PATCH /users/me`` body."""


def _password_helper() -> PasswordHelper:
    """pwdlib's argon2id + bcrypt helper, with argon2 parameters from the environment if set."""
    raw = os.environ.get("FASTAPI_USERS_ARGON2", "").strip()
    if not raw:
        return PasswordHelper()
    memory_cost, time_cost, parallelism = (int(part) for part in raw.split(","))
    argon2 = Argon2Hasher(memory_cost=memory_cost, time_cost=time_cost, parallelism=parallelism)
    return PasswordHelper(PasswordHash((argon2, BcryptHasher())))


def create_app() -> FastAPI:
    """Build the application (engine, user manager, routers) from the environment."""
    database_url = os.environ.get(
        "FASTAPI_USERS_DATABASE_URL", "sqlite+aiosqlite:///./fastapi-users.db"
    )
    secret = os.environ.get("FASTAPI_USERS_SECRET") or secrets.token_urlsafe(48)
    engine = create_async_engine(database_url)
    session_maker = async_sessionmaker(engine, expire_on_commit=False)
    password_helper = _password_helper()

    async def get_async_session() -> AsyncGenerator[AsyncSession, None]:
        async with session_maker() as session:
            yield session

    async def get_user_db(
        session: AsyncSession = Depends(get_async_session),  # noqa: B008 - FastAPI idiom
    ) -> AsyncGenerator[SQLAlchemyUserDatabase[User, uuid.UUID], None]:
        yield SQLAlchemyUserDatabase(session, User)

    class UserManager(UUIDIDMixin, BaseUserManager[User, uuid.UUID]):
        reset_password_token_secret = secret
        verification_token_secret = secret

    async def get_user_manager(
        user_db: SQLAlchemyUserDatabase[User, uuid.UUID] = Depends(get_user_db),  # noqa: B008
    ) -> AsyncGenerator[UserManager, None]:
        yield UserManager(user_db, password_helper)

    def get_jwt_strategy() -> JWTStrategy[User, uuid.UUID]:
        return JWTStrategy(secret=secret, lifetime_seconds=3600)

    auth_backend = AuthenticationBackend(
        name="jwt",
        transport=BearerTransport(tokenUrl="auth/jwt/login"),
        get_strategy=get_jwt_strategy,
    )
    fastapi_users = FastAPIUsers[User, uuid.UUID](get_user_manager, [auth_backend])

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        yield
        await engine.dispose()

    app = FastAPI(lifespan=lifespan)
    app.include_router(fastapi_users.get_auth_router(auth_backend), prefix="/auth/jwt")
    app.include_router(fastapi_users.get_register_router(UserRead, UserCreate), prefix="/auth")
    app.include_router(fastapi_users.get_reset_password_router(), prefix="/auth")
    app.include_router(fastapi_users.get_verify_router(UserRead), prefix="/auth")
    app.include_router(fastapi_users.get_users_router(UserRead, UserUpdate), prefix="/users")

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
