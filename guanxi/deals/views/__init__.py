"""Deal, pipeline and order pages."""

from guanxi.deals.views.board import board, board_column, deal_move
from guanxi.deals.views.deals import deal_create, deal_delete, deal_detail, deal_edit, deal_list
from guanxi.deals.views.orders import order_import, order_import_run, order_list
from guanxi.deals.views.stages import stage_delete, stage_edit, stage_list

__all__ = [
    "board", "board_column", "deal_create", "deal_delete", "deal_detail", "deal_edit",
    "deal_list", "deal_move", "order_import", "order_import_run", "order_list", "stage_delete",
    "stage_edit", "stage_list",
]  # fmt: skip
