from __future__ import annotations

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from application.commands import ListProducts as ListProductsQuery
from application.use_cases.add_product import AddProduct
from application.use_cases.get_product import GetProduct
from application.use_cases.list_products import ListProducts
from application.use_cases.update_product import UpdateProduct
from entrypoints.http.idempotency import IDEMPOTENT
from entrypoints.http.problems import BODY_PROBLEMS, problem_responses
from entrypoints.http.schemas import Cursor, Limit, ProductIn, ProductListOut, ProductOut, ProductPatchIn


class ProductController(Controller):
    path = "/v1/products"
    tags = ["catalog"]

    @post(opt=IDEMPOTENT, responses=problem_responses(*BODY_PROBLEMS, "already_exists"))
    async def add(
        self, data: JSONBody[ProductIn], add_product: NamedDependency[AddProduct], actor: NamedDependency[str]
    ) -> ProductOut:
        return ProductOut.of(await add_product(data.to_command(actor)))

    @get(responses=problem_responses())
    async def index(
        self,
        list_products: NamedDependency[ListProducts],
        limit: Limit = 20,
        cursor: Cursor = None,
        active: FromQuery[bool | None] = None,
    ) -> ProductListOut:
        page = await list_products(ListProductsQuery(limit=limit, cursor=cursor, active=active))
        return ProductListOut.of(page)

    @get("/{sku:str}", responses=problem_responses("not_found"))
    async def show(self, sku: FromPath[str], get_product: NamedDependency[GetProduct]) -> ProductOut:
        return ProductOut.of(await get_product(sku))

    @patch("/{sku:str}", responses=problem_responses(*BODY_PROBLEMS, "not_found"))
    async def update(
        self,
        sku: FromPath[str],
        data: JSONBody[ProductPatchIn],
        update_product: NamedDependency[UpdateProduct],
        actor: NamedDependency[str],
    ) -> ProductOut:
        return ProductOut.of(await update_product(data.to_command(sku, actor)))
